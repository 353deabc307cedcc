package dev.qwen4j.cli;

import dev.qwen4j.hub.DownloadProgress;
import dev.qwen4j.hub.HubConfig;
import dev.qwen4j.hub.ModelRef;
import dev.qwen4j.hub.ModelResolver;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;

/**
 * How commands reach the model cache and the hub. {@code run}, {@code chat} and {@code serve} call
 * {@link #resolve(String, boolean, PrintWriter)} with their MODEL argument and {@code --offline} flag: a name is pulled
 * on first use (progress on the error stream), a cached one is used without touching the network.
 */
final class HubAccess {
    /** The environment the HF_* settings come from; tests put a map here instead of changing the real one. */
    static volatile Map<String, String> environment = System.getenv();

    private HubAccess() {
    }

    static HubConfig config(boolean offline) {
        HubConfig c = HubConfig.fromEnvironment(environment);
        return offline ? c.withOffline(true) : c;
    }

    /** A resolver printing download progress to {@code err}: a bar on a terminal, a line per 10% otherwise. */
    static ModelResolver resolver(boolean offline, PrintWriter err) {
        return new ModelResolver(config(offline), DownloadProgress.console(err, DownloadProgress.isTerminal()));
    }

    /** The local GGUF file for {@code model} (null = the default model), pulling it if it is not cached. */
    static Path resolve(String model, boolean offline, PrintWriter err) throws IOException {
        return resolver(offline, err).resolve(ModelRef.parse(model));
    }
}
