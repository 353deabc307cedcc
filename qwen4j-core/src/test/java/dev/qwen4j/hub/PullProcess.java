package dev.qwen4j.hub;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** A separate JVM that pulls one model, for the cross-process locking test: args = endpoint, HF_HOME, model. */
public final class PullProcess {
    private PullProcess() {
    }

    public static void main(String[] args) throws Exception {
        HubConfig config = HubConfig.fromEnvironment(Map.of("HF_ENDPOINT", args[0], "HF_HOME", args[1]))
                .withRetries(3, Duration.ofMillis(1));
        ModelResolver.Pulled p = new ModelResolver(config, DownloadProgress.none()).pull((ModelRef.HubModel) ModelRef.parse(args[2]));
        System.out.println((p.downloaded() ? "downloaded " : "reused ") + Path.of(p.path().toString()));
    }
}
