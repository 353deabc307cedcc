package dev.qwen4j.cli;

import dev.qwen4j.hub.DownloadProgress;
import dev.qwen4j.hub.HubConfig;
import dev.qwen4j.hub.MemoryFit;
import dev.qwen4j.hub.ModelRef;
import dev.qwen4j.hub.ModelResolver;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
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

    /**
     * A resolver printing download progress to {@code err}: a bar on a terminal, a line per 10% otherwise, nothing
     * with {@code HF_HUB_DISABLE_PROGRESS_BARS=1}.
     */
    static ModelResolver resolver(boolean offline, PrintWriter err) {
        DownloadProgress progress = HubConfig.isTrue(environment.get("HF_HUB_DISABLE_PROGRESS_BARS"))
                ? DownloadProgress.none() : DownloadProgress.console(err, DownloadProgress.isTerminal());
        return new ModelResolver(config(offline), progress);
    }

    /**
     * {@code name} as a model of the hub, or a clear error ending with {@code hint}: pull and rm have nothing to do
     * with a path (and a name that parses as neither is just not a model name).
     */
    static ModelRef.HubModel hubModel(String name, String hint) {
        ModelRef ref = ModelRef.parse(name);
        if (ref instanceof ModelRef.HubModel m) return m;
        String what = Files.exists(Path.of(name)) ? "is a file, not a model name" : "is not a model name";
        throw new IllegalArgumentException("'" + name + "' " + what + "; " + hint);
    }

    /** The local GGUF file for {@code model} (null = the default model), pulling it if it is not cached. */
    static Path resolve(String model, boolean offline, PrintWriter err) throws IOException {
        return resolver(offline, err).resolve(ModelRef.parse(model));
    }

    /**
     * Refuses (with {@link MemoryFit.NotEnoughMemoryException}, a one-line message suggesting a shorter --ctx or a
     * smaller quant) a model that cannot fit in this machine's memory at {@code contextLength}; prints a warning
     * on {@code err} when it fits only by pushing other programs out. Call it before loading.
     */
    static void checkMemory(String model, Path file, int contextLength, PrintWriter err) throws IOException {
        MemoryFit.Verdict v = MemoryFit.require(model == null ? file.toString() : model, file, contextLength);
        if (v.message() != null) err.println("qwen4j: " + v.message());
    }
}
