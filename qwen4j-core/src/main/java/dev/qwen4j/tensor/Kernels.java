package dev.qwen4j.tensor;

import dev.qwen4j.tensor.quant.Activations;
import dev.qwen4j.tensor.quant.RowCodec;

/**
 * The one door models use to compute with weights: "multiply this tensor", "fetch this row".
 * Models never look inside a quantization block (STYLE.md). Which implementation runs and how many threads it
 * uses is decided here, once:
 * <ul>
 *   <li>{@code -Dqwen4j.kernels=portable} forces the plain-Java kernels, {@code =vector} the Vector API ones;
 *       by default the Vector API kernels run when the {@code jdk.incubator.vector} module is present.</li>
 *   <li>Products are split over output rows on a fixed pool of threads kept hot between calls.</li>
 * </ul>
 * Activations are converted as llama.cpp's CPU backend does (QWEN_SPEC.md §11.7): once per call, then every row
 * is an integer (quantized types) or F16/BF16-rounded (half types) dot product.
 *
 * <p>One caller at a time: concurrent calls on one instance are serialized. Weight tensors are read by the worker
 * threads, so their memory must be readable from any thread (a shared or global arena, as GgufFile maps; a
 * confined arena's segment fails with WrongThreadException).
 *
 * <p>System properties: {@code qwen4j.kernels} (auto|portable|vector), {@code qwen4j.kernels.spinMicros} (how long
 * idle workers spin before parking, default 500), {@code qwen4j.vector.bits} (256|512, default: the CPU's widest),
 * {@code qwen4j.kernels.warmup} (true|false, default false: when true the first instance compiles the vector
 * kernels in a background thread — off because it made the real products slower, see {@link KernelWarmup}).
 */
public final class Kernels implements AutoCloseable {

    /** Which kernels to use. */
    public enum Implementation { AUTO, PORTABLE, VECTOR }

    private static final String VECTOR_CLASS = "dev.qwen4j.tensor.vector.VectorMatmul";
    /**
     * Rows per chunk handed to a thread are a multiple of this: vector kernels tile rows in fours and keep 4-bit
     * weights in groups of 32 interleaved rows.
     */
    private static final int ROW_GRAIN = 32;

    private final MatmulKernel kernel;
    private final WorkerPool pool;
    private final Activations activations = new Activations();
    /** The kernel threads as {@link MatmulKernel.Parallel}, for work split by item (grain 1). */
    private final MatmulKernel.Parallel parallel = this::runSplit;

    private Kernels(MatmulKernel kernel, int threads) {
        this.kernel = kernel;
        long spinMicros = Long.getLong("qwen4j.kernels.spinMicros", 500);
        this.pool = new WorkerPool(threads, spinMicros * 1000);
        if (!(kernel instanceof PortableMatmul)) KernelWarmup.startOnce(kernel);
    }

    /** Kernels using {@code threads} threads in all (0 = one per available core), implementation per system property. */
    public static Kernels create(int threads) {
        String prop = System.getProperty("qwen4j.kernels", "auto");
        Implementation impl = switch (prop) {
            case "portable" -> Implementation.PORTABLE;
            case "vector" -> Implementation.VECTOR;
            case "auto", "" -> Implementation.AUTO;
            default -> throw new IllegalArgumentException("qwen4j.kernels must be auto, portable or vector, not " + prop);
        };
        return create(threads, impl);
    }

    public static Kernels create(int threads, Implementation impl) {
        int n = threads <= 0 ? Runtime.getRuntime().availableProcessors() : threads;
        MatmulKernel kernel = switch (impl) {
            case PORTABLE -> new PortableMatmul();
            case VECTOR -> loadVector(true);
            case AUTO -> {
                MatmulKernel v = loadVector(false);
                yield v != null ? v : new PortableMatmul();
            }
        };
        return new Kernels(kernel, n);
    }

    /** The Vector API kernels, loaded by name so that nothing here links against jdk.incubator.vector. */
    private static MatmulKernel loadVector(boolean required) {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            if (required) {
                throw new IllegalStateException("qwen4j.kernels=vector needs the Vector API: run java with"
                        + " --add-modules jdk.incubator.vector");
            }
            return null;
        }
        try {
            return (MatmulKernel) Class.forName(VECTOR_CLASS).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            if (required) throw new IllegalStateException("cannot load the Vector API kernels: " + e, e);
            return null;
        }
    }

    public int threads() {
        return pool.threads();
    }

    /** "portable" or "vector-512" (the SIMD width), for logs and benchmarks. */
    public String implementation() {
        return kernel.name();
    }

    /** {@code out[r] = Σ_c W[r][c]·x[c]} for every row r of {@code w} ({@code x.length ≥ w.rowLength()}). */
    public void matvec(Tensor w, float[] x, float[] out) {
        matmul(w, x, 1, out);
    }

    /**
     * Batched product for {@code batch} input vectors stored one after another in {@code x} (each
     * {@code w.rowLength()} long): {@code out[b·rows + r] = Σ_c W[r][c]·x[b·in + c]}.
     */
    public synchronized void matmul(Tensor w, float[] x, int batch, float[] out) {
        int n = w.rowLength();
        int rows = Math.toIntExact(w.rows());
        if (batch < 1) throw new IllegalArgumentException("batch must be at least 1, got " + batch);
        if (x.length < (long) n * batch) {
            throw new IllegalArgumentException("tensor " + w.name() + ": input holds " + x.length + " values, needs "
                    + batch + "x" + n);
        }
        if (out.length < (long) rows * batch) {
            throw new IllegalArgumentException("tensor " + w.name() + ": output holds " + out.length + " values, needs "
                    + batch + "x" + rows);
        }
        activations.prepare(Activations.kindFor(w.type()), x, n, batch, parallel);
        pool.run(rows, ROW_GRAIN, chunksPerThread(batch), (from, to) -> kernel.multiply(w, activations, out, from, to));
    }

    /**
     * Products of several tensors with the same input (q, k, v; ffn_gate and ffn_up): {@link #matmul} of each
     * {@code ws[i]} into {@code outs[i]}, in one hand-off to the threads over all their rows, and with the input
     * converted once when the types share an activation format (otherwise one call per tensor).
     */
    public synchronized void matmul(Tensor[] ws, float[] x, int batch, float[][] outs) {
        if (ws.length != outs.length) throw new IllegalArgumentException(ws.length + " tensors but " + outs.length + " outputs");
        Activations.Kind kind = Activations.kindFor(ws[0].type());
        boolean shared = true;
        for (Tensor w : ws) shared &= Activations.kindFor(w.type()) == kind && w.rowLength() == ws[0].rowLength();
        if (!shared) {
            for (int i = 0; i < ws.length; i++) matmul(ws[i], x, batch, outs[i]);
            return;
        }
        int n = ws[0].rowLength();
        int[] start = new int[ws.length + 1];
        for (int i = 0; i < ws.length; i++) {
            int rows = Math.toIntExact(ws[i].rows());
            if (batch < 1 || x.length < (long) n * batch || outs[i].length < (long) rows * batch) {
                throw new IllegalArgumentException("tensor " + ws[i].name() + ": batch " + batch + ", input holds " + x.length
                        + " values, output " + outs[i].length + "; needs " + batch + "x" + n + " and " + batch + "x" + rows);
            }
            start[i + 1] = start[i] + rows;
        }
        activations.prepare(kind, x, n, batch, parallel);
        pool.run(start[ws.length], ROW_GRAIN, chunksPerThread(batch), (from, to) -> {
            for (int i = 0; i < ws.length; i++) {
                int lo = Math.max(from, start[i]), hi = Math.min(to, start[i + 1]);
                if (lo < hi) kernel.multiply(ws[i], activations, outs[i], lo - start[i], hi - start[i]);
            }
        });
    }

    /**
     * Chunks per thread for a product: a prompt chunk's products are compute-bound and cost the same per group of
     * rows however they are split, so they go in groups of 32 rows (the last chunk to finish is short); one token's
     * stream the weights, and two long chunks per thread keep each thread's reads sequential for the hardware
     * prefetchers (8 shorter ones, each a new stream, decoded 2–4% slower) while a thread slowed by another
     * process can still hand over one.
     */
    private static int chunksPerThread(int batch) {
        return batch >= 16 ? 64 : 2;
    }

    private void runSplit(int count, RangeTask task) {
        pool.run(count, 1, task);
    }

    /** Work on an index range {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int from, int to);
    }

    /**
     * Runs {@code task} over {@code [0, count)} on the kernel threads (attention heads, etc.), in chunks that are
     * multiples of {@code grain}; returns when all are done. The task must not call back into this instance.
     */
    public synchronized void parallelFor(int count, int grain, RangeTask task) {
        pool.run(count, Math.max(1, grain), task);
    }

    /**
     * Lets the kernels re-lay out the weight matrices a model multiplies with (not tables only looked up by
     * row, such as an untied embedding), on all threads; returns the bytes of memory the copies take.
     * See {@link MatmulKernel#prepare}.
     */
    public synchronized long prepare(java.util.List<Tensor> matrices) {
        long bytes = 0;
        for (Tensor w : new java.util.LinkedHashSet<>(matrices)) bytes += kernel.prepare(w, parallel);
        return bytes;
    }

    /** Row {@code row} of {@code w} as floats into {@code dst[dstOffset ..]} (e.g. an embedding lookup). */
    public void dequantizeRow(Tensor w, long row, float[] dst, int dstOffset) {
        RowCodec.dequantize(w.type(), w.data(), row * w.rowBytes(), dst, dstOffset, w.rowLength());
    }

    /** The whole tensor as floats (small tensors: norms, biases, convolution weights). */
    public float[] toFloats(Tensor w) {
        float[] out = new float[Math.toIntExact(w.elementCount())];
        int n = w.rowLength();
        for (long r = 0; r < w.rows(); r++) dequantizeRow(w, r, out, (int) (r * n));
        return out;
    }

    @Override
    public void close() {
        pool.close();
        kernel.close();
    }
}
