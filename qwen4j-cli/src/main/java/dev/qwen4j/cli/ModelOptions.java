package dev.qwen4j.cli;

import dev.qwen4j.generate.Engine;
import dev.qwen4j.model.LoadOptions;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Which model to load and how: shared by {@code run} and {@code chat}. */
final class ModelOptions {
    private static final int MIN_CHECKED_CONTEXT = 2048;

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL",
            description = "A GGUF file, a Hugging Face checkpoint folder, or a model name such as qwen3.5:0.8b (pulled on first use;"
                    + " default qwen3.5:0.8b).")
    String model;

    @Option(names = "--offline", description = "Never touch the network: use only models already on disk.")
    boolean offline;

    @Option(names = "--ctx", paramLabel = "N",
            description = "Context size in tokens (default: what fits in memory, up to 32768 and the model's maximum).")
    Integer contextSize;

    @Option(names = "--threads", paramLabel = "N", description = "Compute threads (default: one per core).")
    int threads;

    @Option(names = "--kv-cache", paramLabel = "TYPE",
            description = "Element type of the attention KV cache: f32 (default) or f16 (half the memory, values rounded as llama.cpp's f16 cache).")
    String kvCache;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    /** The {@code --kv-cache} value (or a bench's), checked. */
    static LoadOptions.KvCacheType kvCacheType(String value) {
        if (value == null) return LoadOptions.KvCacheType.F32;
        return switch (value.toLowerCase(java.util.Locale.ROOT)) {
            case "f32" -> LoadOptions.KvCacheType.F32;
            case "f16" -> LoadOptions.KvCacheType.F16;
            default -> throw new IllegalArgumentException("--kv-cache " + value + " is not a cache type (f32 or f16)");
        };
    }

    /** Loads the model, showing progress on {@code err} when it takes more than a second. */
    Engine load(PrintWriter err) throws IOException {
        boolean folder = model != null && Files.isDirectory(Path.of(model));
        Path file = folder ? Path.of(model) : HubAccess.resolve(model, offline, err);
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString());
        // Weights are mapped, not copied: what must fit is the file plus the state of the requested context
        // (with no --ctx, a short one: the default context is then chosen to fit what is left).
        if (!folder) {
            int ctx = contextSize != null ? contextSize : MIN_CHECKED_CONTEXT;
            try (dev.qwen4j.gguf.GgufFile gguf = dev.qwen4j.gguf.GgufFile.open(file)) {
                // A context beyond what the model was trained for is refused for that reason, not for memory.
                long trained = gguf.getLong(gguf.getString("general.architecture", "") + ".context_length", Long.MAX_VALUE);
                requireWithinTrained(trained);
                ctx = (int) Math.min(ctx, trained);
            }
            HubAccess.checkMemory(model, file, ctx, err);
        }
        try (StatusLine status = StatusLine.after(err, 1000, "loading " + file.getFileName())) {
            Engine engine = Engine.load(file, LoadOptions.defaults().withThreads(checkThreads("--threads", threads))
                    .withKvCacheType(kvCacheType(kvCache)));
            status.done("loaded " + engine.name() + " (" + engine.architecture() + ")");
            return engine;
        }
    }

    /** Most compute threads: beyond this (llama.cpp's limit too) a typo such as 100000 would start that many spinning threads. */
    static final int MAX_THREADS = 512;

    /** Checks a thread-count flag (0 = one per core). */
    static int checkThreads(String flag, int threads) {
        if (threads < 0 || threads > MAX_THREADS) {
            throw new IllegalArgumentException(flag + " " + threads + " is out of range (0 = one per core, at most " + MAX_THREADS + ")");
        }
        return threads;
    }

    int contextSize(Engine engine) {
        if (contextSize == null) return engine.defaultContextSize();
        requireWithinTrained(engine.model().trainedContextLength());
        if (contextSize < 16) throw new IllegalArgumentException("--ctx " + contextSize + " is too small (at least 16)");
        return contextSize;
    }

    private void requireWithinTrained(long trained) {
        if (contextSize != null && contextSize > trained) {
            throw new IllegalArgumentException("--ctx " + contextSize + " exceeds the model's maximum context of " + trained);
        }
    }
}
