package dev.qwen4j.tensor;

import dev.qwen4j.tensor.quant.Activations;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Gets the Vector API kernels compiled before a model needs them. Until C2 compiles it, vector code runs
 * interpreted or in C1, where every vector is an object on the heap: the first product of each weight type took
 * 0.3–1.8 s (8192×1024 rows, 2 threads) against 1–20 ms once compiled. So the first {@link Kernels} of a JVM
 * starts one background thread that runs every kernel path of the common types (one vector and a batch) on small
 * tensors of harmless bytes, a few hundred times each, while the caller goes on loading the model.
 *
 * <p>OFF by default ({@code -Dqwen4j.kernels.warmup=true} turns it on): measured on a 0.8B model, code compiled
 * from the warm-up's profile (small native segments) ran the real products over the mapped file 3–15× slower
 * than code compiled from the real calls (12–13 GB/s single-threaded without it, 0.6–4.6 GB/s with it), and time
 * to first token did not improve. Kept for the day its profile matches the real calls.
 */
final class KernelWarmup {
    private static final AtomicBoolean STARTED = new AtomicBoolean();
    private static final GgmlType[] TYPES = {GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.Q4_0, GgmlType.F16,
            GgmlType.Q5_K, GgmlType.F32, GgmlType.BF16};
    private static final int ROWS = 64;
    private static final int COLUMNS = 512;
    private static final int CALLS = 300;
    private static final int BATCH = 40;
    private static final int BATCH_CALLS = 40;

    private KernelWarmup() {
    }

    /** Starts the warm-up once per JVM (unless turned off); returns the thread, or null. */
    static Thread startOnce(MatmulKernel kernel) {
        if (!Boolean.parseBoolean(System.getProperty("qwen4j.kernels.warmup", "false"))) return null;
        if (!STARTED.compareAndSet(false, true)) return null;
        Thread t = new Thread(() -> {
            try {
                run(kernel);
            } catch (RuntimeException e) {
                // A warm-up problem must never reach the caller; the real products report their own errors.
            }
        }, "qwen4j-kernel-warmup");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Runs every path of the common types on small tensors (several hundred products in all). */
    static void run(MatmulKernel kernel) {
        Activations a = new Activations();
        float[] x = new float[COLUMNS * BATCH];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i * 0.37);
        float[] out = new float[ROWS * BATCH];
        try (Arena arena = Arena.ofShared()) {
            for (GgmlType type : TYPES) {
                long bytes = (long) ROWS * COLUMNS / type.blockSize * type.typeSize;
                MemorySegment seg = arena.allocate(bytes, 64);
                // Bytes 0x20..0x3F: every half and float they form is a normal number of modest size.
                for (long i = 0; i < bytes; i++) seg.set(ValueLayout.JAVA_BYTE, i, (byte) (0x20 + (i * 37 & 31)));
                Tensor w = new Tensor("warmup", type, new long[] {COLUMNS, ROWS}, seg);
                Activations.Kind kind = Activations.kindFor(type);
                for (int i = 0; i < CALLS; i++) {
                    a.prepare(kind, x, COLUMNS, 1);
                    kernel.multiply(w, a, out, 0, ROWS);
                }
                for (int i = 0; i < BATCH_CALLS; i++) {
                    a.prepare(kind, x, COLUMNS, BATCH);
                    kernel.multiply(w, a, out, 0, ROWS);
                }
            }
        }
    }
}
