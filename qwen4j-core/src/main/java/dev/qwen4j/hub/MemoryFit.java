package dev.qwen4j.hub;

import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.gguf.GgufValue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Will this model, with this context length, fit in this machine's memory? Checked before loading so the user gets
 * a sentence instead of an OutOfMemoryError or a machine deep in swap.
 * <p>
 * Estimate: the weights (the file size — they are memory-mapped, so the JVM heap limit does not apply to them),
 * plus the KV cache of the full-attention layers ({@code layers × 2 × ctx × n_kv × d_h × 4} bytes, fp32), plus the
 * fixed recurrent state of Qwen3.5's Gated DeltaNet layers ({@code n_v × d_k × d_v} floats and a
 * {@code (K−1) × conv_dim} convolution window per layer, QWEN_SPEC.md §4.6), plus working buffers.
 * The budget is the machine's physical memory: more than that cannot work; more than what is available right now
 * works but other programs' memory gets paged out, so that is a warning, not a refusal.
 */
public final class MemoryFit {
    private static final long BASE_OVERHEAD = 256L << 20; // JVM, code, thread stacks, scratch vectors
    private static final int KV_BYTES = Float.BYTES;

    private MemoryFit() {
    }

    /** The sizes that decide memory use, as read from a GGUF file's metadata. */
    public record ModelShape(String architecture, int attentionLayers, int kvHeads, int keyLength, int valueLength,
                             int recurrentLayers, long recurrentStateFloatsPerLayer, int vocabSize, int trainedContext) {

        public long kvBytesPerToken() {
            return (long) attentionLayers * kvHeads * (keyLength + valueLength) * KV_BYTES;
        }

        public long recurrentStateBytes() {
            return recurrentLayers * recurrentStateFloatsPerLayer * Float.BYTES;
        }

        public static ModelShape of(GgufFile gguf) {
            String arch = gguf.getString("general.architecture", "qwen3");
            String p = arch + ".";
            int blocks = gguf.getInt(p + "block_count", 0) - gguf.getInt(p + "nextn_predict_layers", 0);
            int heads = gguf.getInt(p + "attention.head_count", 1);
            int kvHeads = gguf.getInt(p + "attention.head_count_kv", heads);
            int hidden = gguf.getInt(p + "embedding_length", 0);
            int keyLength = gguf.getInt(p + "attention.key_length", heads == 0 ? 0 : hidden / heads);
            int valueLength = gguf.getInt(p + "attention.value_length", keyLength);
            int vocab = gguf.getInt(p + "vocab_size",
                    gguf.value("tokenizer.ggml.tokens").map(GgufValue::arrayLength).orElse(0));
            int trained = gguf.getInt(p + "context_length", 0);
            int interval = gguf.getInt(p + "full_attention_interval", 0);
            if (interval <= 0 || !gguf.has(p + "ssm.state_size")) {
                return new ModelShape(arch, blocks, kvHeads, keyLength, valueLength, 0, 0, vocab, trained);
            }
            // Qwen3.5: layer i is full attention when (i + 1) % interval == 0, Gated DeltaNet otherwise (§4.5)
            int attention = blocks / interval;
            int recurrent = blocks - attention;
            long dk = gguf.getLong(p + "ssm.state_size", 0);
            long nk = gguf.getLong(p + "ssm.group_count", 0);
            long nv = gguf.getLong(p + "ssm.time_step_rank", 0);
            long valueDim = gguf.getLong(p + "ssm.inner_size", 0);
            long dv = nv == 0 ? 0 : valueDim / nv;
            long convKernel = gguf.getLong(p + "ssm.conv_kernel", 4);
            long convDim = 2 * nk * dk + valueDim;
            long perLayer = nv * dk * dv + (convKernel - 1) * convDim;
            return new ModelShape(arch, attention, kvHeads, keyLength, valueLength, recurrent, perLayer, vocab, trained);
        }
    }

    /** Bytes a model needs at one context length. */
    public record Estimate(long weightBytes, long kvCacheBytes, long stateBytes, long overheadBytes, int contextLength) {
        public long total() {
            return weightBytes + kvCacheBytes + stateBytes + overheadBytes;
        }

        public String breakdown() {
            return String.format(Locale.ROOT, "weights %s + KV cache %s for %d tokens + state %s + buffers %s",
                    bytes(weightBytes), bytes(kvCacheBytes), contextLength, bytes(stateBytes), bytes(overheadBytes));
        }
    }

    /** Physical memory of the machine, and how much of it is available now. */
    public record Machine(long totalBytes, long availableBytes) {
        /**
         * This machine: total from the OS bean; available from /proc/meminfo's MemAvailable on Linux (it counts
         * reclaimable page cache, which the bean's "free" does not), else the bean's free memory.
         */
        public static Machine current() {
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long total = os.getTotalMemorySize();
            long available = os.getFreeMemorySize();
            Path meminfo = Path.of("/proc/meminfo");
            try {
                if (Files.isReadable(meminfo)) {
                    for (String line : Files.readAllLines(meminfo)) {
                        if (line.startsWith("MemAvailable:")) {
                            long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
                            available = Math.min(total, kib * 1024);
                        }
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // keep the bean's figure
            }
            return new Machine(total, available);
        }
    }

    /** The outcome: {@code fits} false means do not load; {@code message} explains and suggests (null when all is well). */
    public record Verdict(boolean fits, String message, Estimate estimate, int largestFittingContext) {
    }

    public static Estimate estimate(ModelShape shape, long weightBytes, int contextLength) {
        long kv = shape.kvBytesPerToken() * contextLength;
        long overhead = BASE_OVERHEAD + 4L * shape.vocabSize() * Float.BYTES;
        return new Estimate(weightBytes, kv, shape.recurrentStateBytes(), overhead, contextLength);
    }

    /** Checks {@code contextLength} tokens of {@code shape} with {@code weightBytes} of weights against {@code machine}. */
    public static Verdict check(String modelName, ModelShape shape, long weightBytes, int contextLength, Machine machine) {
        Estimate e = estimate(shape, weightBytes, contextLength);
        int largest = largestContext(shape, weightBytes, machine.totalBytes());
        if (e.total() > machine.totalBytes()) {
            StringBuilder m = new StringBuilder(String.format(Locale.ROOT,
                    "%s will not fit in memory: it needs about %s (%s) but this machine has %s",
                    modelName, bytes(e.total()), e.breakdown(), bytes(machine.totalBytes())));
            if (largest >= 512) {
                m.append(String.format(Locale.ROOT, "; try a shorter context (--ctx %d), a smaller quant or a smaller model", largest));
            } else {
                m.append("; try a smaller quant or a smaller model");
            }
            return new Verdict(false, m.toString(), e, largest);
        }
        if (e.total() > machine.availableBytes()) {
            return new Verdict(true, String.format(Locale.ROOT,
                    "warning: %s needs about %s (%s) and only %s of %s is free now; it will run, but slowly if the system"
                            + " has to page", modelName, bytes(e.total()), e.breakdown(), bytes(machine.availableBytes()),
                    bytes(machine.totalBytes())), e, largest);
        }
        return new Verdict(true, null, e, largest);
    }

    /**
     * {@link #check} for a GGUF file on this machine, before loading it; throws {@link NotEnoughMemoryException}
     * when the model cannot fit. A returned verdict may still carry a warning to print.
     */
    public static Verdict require(String modelName, Path file, int contextLength) throws IOException {
        try (GgufFile gguf = GgufFile.open(file)) {
            return require(modelName, gguf, contextLength);
        }
    }

    /** {@link #check} for an open GGUF file on this machine; throws when the model cannot fit. */
    public static Verdict require(String modelName, GgufFile gguf, int contextLength) {
        Verdict v = check(modelName, ModelShape.of(gguf), gguf.fileSize(), contextLength, Machine.current());
        if (!v.fits()) throw new NotEnoughMemoryException(v.message());
        return v;
    }

    /** The longest context (a multiple of 256, at most the trained one when known) that fits in {@code budget}. */
    static int largestContext(ModelShape shape, long weightBytes, long budget) {
        long room = budget - estimate(shape, weightBytes, 0).total();
        if (room <= 0) return 0;
        long perToken = shape.kvBytesPerToken();
        long tokens = perToken == 0 ? Integer.MAX_VALUE : room / perToken;
        if (shape.trainedContext() > 0) tokens = Math.min(tokens, shape.trainedContext());
        tokens = Math.min(tokens, Integer.MAX_VALUE);
        return (int) (tokens / 256 * 256);
    }

    static String bytes(long n) {
        return DownloadProgress.Console.bytes(n);
    }

    /** A model that cannot fit in this machine's memory; the message says why and what to try. */
    public static final class NotEnoughMemoryException extends RuntimeException {
        public NotEnoughMemoryException(String message) {
            super(message);
        }
    }
}
