package dev.qwen4j.tensor.quant;

import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.tensor.MatmulKernel;

/**
 * Activations converted the way llama.cpp's CPU backend converts them before a weight product (QWEN_SPEC.md
 * §11.7, fixtures README "emul"): rounded to F16/BF16 for F16/BF16 weights, quantized to Q8_0 (or Q8_1) blocks
 * of 32 for the legacy formats, to Q8_K blocks of 256 for K-quants. Converted once per product call, then read
 * by every row. Buffers are reused between calls; one instance serves one caller at a time.
 */
public final class Activations {

    /** How a weight type wants its activations (ggml's {@code vec_dot_type}). */
    public enum Kind { F32, F16, BF16, Q8_0, Q8_1, Q8_K }

    public static Kind kindFor(GgmlType weights) {
        return switch (weights) {
            case F16 -> Kind.F16;
            case BF16 -> Kind.BF16;
            case Q8_0, Q4_0, Q5_0, IQ4_NL -> Kind.Q8_0;
            case Q4_1, Q5_1 -> Kind.Q8_1;
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS -> Kind.Q8_K;
            default -> Kind.F32;
        };
    }

    public Kind kind;
    /** Row length and number of vectors. */
    public int n;
    public int batch;
    /** F32: the caller's array itself; F16/BF16: the rounded values. */
    public float[] x;
    /** Q8 kinds: the quants, {@code batch·n} of them, and the same values as floats (for SIMD kernels). */
    public byte[] q = new byte[0];
    public float[] qf = new float[0];
    /** Q8 kinds: the scale of each block (32 or 256 elements). */
    public float[] d = new float[0];
    /** Q8_1: {@code f16(d·Σq)} per block, as float. */
    public float[] s = new float[0];
    /** Q8_0/Q8_1: Σq per block of 32. Q8_K: Σq per group of 16 (ggml's bsums). */
    public int[] qsum = new int[0];
    public int[] bsums = new int[0];
    /** Q8_K: Σq per sub-block of 32 (pairs of bsums; what Q4_K/Q5_K mins multiply). */
    public int[] sums32 = new int[0];
    private int[] qpairs = new int[0];
    private float[] amax = new float[0];
    private static final dev.qwen4j.tensor.FloatOps OPS = dev.qwen4j.tensor.FloatOps.preferred();
    private int[] q6Offsets = new int[0];
    private float[] rounded = new float[0];

    /**
     * Batches of at least {@link #TRANSPOSE_MIN} vectors can also be read element-major, by kernels that hold
     * tokens in SIMD lanes: {@link #xt()}{@code [k·tp + t]} is element k of vector t (the quants as floats for Q8
     * kinds, else the converted values), {@link #dt()}{@code [j·tp + t]} the scale of block j of vector t, and for
     * Q8_K {@link #s32t()}{@code [i·tp + t]} its sums of 32 quants; {@link #xts()} the quants as shorts. {@code tp}
     * is the batch rounded up to 32; the padding is zero. Each of these is made on first use after
     * {@link #prepare}, by the threads that ask for it together (they share its chunks), so a product whose kernel
     * reads none of them pays for none.
     */
    public static final int TRANSPOSE_MIN = 16;
    public int tp;
    private float[] xt = new float[0];
    private short[] xts = new short[0];
    private float[] dt = new float[0];
    private float[] s32t = new float[0];
    private OnDemand xtWork, xtsWork, scaleWork;

    /** Every vector of a product at once on the calling thread (tests, tools). */
    private static final MatmulKernel.Parallel SERIAL = (count, task) -> task.run(0, count);

    /** Converts {@code batch} vectors of length {@code n} stored one after another in {@code src}. */
    public void prepare(Kind kind, float[] src, int n, int batch) {
        prepare(kind, src, n, batch, SERIAL);
    }

    /**
     * {@link #prepare(Kind, float[], int, int)} with the vectors of a batch converted on the threads of
     * {@code parallel} (one vector, e.g. a decode step, stays on the caller).
     */
    public void prepare(Kind kind, float[] src, int n, int batch, MatmulKernel.Parallel parallel) {
        this.kind = kind;
        this.n = n;
        this.batch = batch;
        int total = n * batch;
        switch (kind) {
            case F32 -> x = src;
            case F16, BF16 -> {
                if (rounded.length < total) rounded = new float[total];
                x = rounded;
            }
            case Q8_0, Q8_1 -> {
                if (n % 32 != 0) throw new IllegalArgumentException("row length " + n + " is not a multiple of 32");
                ensureQuants(total, total / 32);
                if (amax.length < total / 32) amax = new float[total / 32];
            }
            case Q8_K -> {
                if (n % 256 != 0) throw new IllegalArgumentException("row length " + n + " is not a multiple of 256");
                ensureQuants(total, total / 256);
                if (bsums.length < total / 16) {
                    bsums = new int[total / 16];
                    sums32 = new int[total / 32];
                }
            }
        }
        if (kind != Kind.F32) {
            if (batch == 1) convert(src, 0, 1);
            else parallel.run(batch, (from, to) -> convert(src, from, to));
        }
        if (batch >= TRANSPOSE_MIN) {
            tp = (batch + 31) & ~31;
            xtWork = new OnDemand(chunks(), this::transposeValues);
            xtsWork = new OnDemand(chunks(), this::transposeShorts);
            scaleWork = new OnDemand(1, c -> transposeScales());
        } else if (kind == Kind.Q8_0 || kind == Kind.Q8_K) {
            pairQuants();
        }
    }

    /** Vectors {@code [from, to)} of the batch converted into the buffers of {@link #kind}. */
    private void convert(float[] src, int from, int to) {
        switch (kind) {
            case F32 -> { }
            case F16 -> {
                for (int i = from * n; i < to * n; i++) rounded[i] = Floats.roundToF16(src[i]);
            }
            case BF16 -> {
                for (int i = from * n; i < to * n; i++) rounded[i] = Floats.roundToBf16(src[i]);
            }
            case Q8_0, Q8_1 -> quantizeQ8(src, from * n / 32, to * n / 32, kind == Kind.Q8_1);
            case Q8_K -> quantizeQ8K(src, from * n / 256, to * n / 256);
        }
    }

    /**
     * For one-token products (batch below {@link #TRANSPOSE_MIN}) of quantized activations: the quants {@link #q}
     * as 32-bit words holding the quant in both 16-bit halves (a broadcast of one word fills 16-bit lanes).
     */
    public int[] qpairs() {
        return qpairs;
    }

    /**
     * Q8_K, one-token products: for each run of 8 quants, −32·(their sum) modulo 2^16 in both 16-bit halves
     * (the starting value of a Q6_K kernel's 16-bit sums, which then add unsigned levels × quants).
     */
    public int[] q6Offsets() {
        return q6Offsets;
    }

    /** {@code v} modulo 2^16 in both 16-bit halves of an int: one broadcast of it fills vector lanes of shorts. */
    public static int pair(int v) {
        return (v & 0xFFFF) | (v << 16);
    }

    private void pairQuants() {
        int total = n * batch;
        if (qpairs.length < total) qpairs = new int[total];
        for (int i = 0; i < total; i++) qpairs[i] = pair(q[i]);
        if (kind != Kind.Q8_K) return;
        if (q6Offsets.length < total / 8) q6Offsets = new int[total / 8];
        for (int r = 0; r < total / 8; r++) {
            int sum = 0;
            for (int i = 8 * r; i < 8 * r + 8; i++) sum += q[i];
            q6Offsets[r] = pair(-32 * sum);
        }
    }

    /** Element-major values (batches of {@link #TRANSPOSE_MIN} or more). */
    public float[] xt() {
        xtWork.await(() -> {
            if (xt.length < n * tp) xt = new float[n * tp];
        });
        return xt;
    }

    /** Q8 kinds: element-major quants as shorts, for the 16-bit integer tiles of 4-bit weights. */
    public short[] xts() {
        xtsWork.await(() -> {
            if (xts.length < n * tp) xts = new short[n * tp];
        });
        return xts;
    }

    /** Q8 kinds: block scales element-major. */
    public float[] dt() {
        scaleWork.await(() -> { });
        return dt;
    }

    /** Q8_K: sums of 32 quants element-major. */
    public float[] s32t() {
        scaleWork.await(() -> { });
        return s32t;
    }

    /** Elements per chunk of the transposes: 32 rows of tp values stay in L1 while a chunk runs. */
    private static final int CHUNK = 32;

    private int chunks() {
        return (n + CHUNK - 1) / CHUNK;
    }

    private void transposeValues(int chunk) {
        float[] values = switch (kind) {
            case Q8_0, Q8_1, Q8_K -> qf;
            default -> x;
        };
        int k0 = chunk * CHUNK, k1 = Math.min(n, k0 + CHUNK);
        for (int t = 0; t < batch; t++) {
            int src = t * n;
            for (int k = k0; k < k1; k++) xt[k * tp + t] = values[src + k];
        }
        for (int k = k0; k < k1; k++) java.util.Arrays.fill(xt, k * tp + batch, (k + 1) * tp, 0f);
    }

    private void transposeShorts(int chunk) {
        if (kind != Kind.Q8_0 && kind != Kind.Q8_1 && kind != Kind.Q8_K) {
            throw new IllegalStateException("no quants to transpose for " + kind + " activations");
        }
        int k0 = chunk * CHUNK, k1 = Math.min(n, k0 + CHUNK);
        for (int t = 0; t < batch; t++) {
            int src = t * n;
            for (int k = k0; k < k1; k++) xts[k * tp + t] = q[src + k];
        }
        for (int k = k0; k < k1; k++) java.util.Arrays.fill(xts, k * tp + batch, (k + 1) * tp, (short) 0);
    }

    private void transposeScales() {
        int blockSize = switch (kind) {
            case Q8_0, Q8_1 -> 32;
            case Q8_K -> 256;
            default -> 0;
        };
        if (blockSize == 0) return;
        int blocks = n / blockSize;
        if (dt.length < blocks * tp) dt = new float[blocks * tp];
        java.util.Arrays.fill(dt, 0, blocks * tp, 0f);
        for (int t = 0; t < batch; t++) {
            for (int j = 0; j < blocks; j++) dt[j * tp + t] = d[t * blocks + j];
        }
        if (kind != Kind.Q8_K) return;
        int subs = 8 * blocks;
        if (s32t.length < subs * tp) s32t = new float[subs * tp];
        java.util.Arrays.fill(s32t, 0, subs * tp, 0f);
        for (int t = 0; t < batch; t++) {
            for (int i = 0; i < subs; i++) s32t[i * tp + t] = sums32[t * subs + i];
        }
    }

    /**
     * Work made on first use by whichever threads ask for it: the first runs {@code setup} (under a lock), then
     * every asker claims chunks until none are left and returns once all are done. A chunk that throws fails
     * every asker (none waits forever).
     */
    private static final class OnDemand {
        private final int chunks;
        private final java.util.function.IntConsumer body;
        private final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        private final java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
        private volatile boolean ready;
        private volatile Throwable failure;

        OnDemand(int chunks, java.util.function.IntConsumer body) {
            this.chunks = chunks;
            this.body = body;
        }

        void await(Runnable setup) {
            if (done.get() == chunks && failure == null) return;
            if (!ready) {
                synchronized (this) {
                    if (!ready) {
                        setup.run();
                        ready = true;
                    }
                }
            }
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                try {
                    body.accept(c);
                } catch (Throwable e) {
                    failure = e;
                } finally {
                    done.incrementAndGet();
                }
            }
            while (done.get() < chunks) Thread.onSpinWait();
            Throwable f = failure;
            if (f != null) throw new IllegalStateException("activations could not be transposed", f);
        }
    }

    private void ensureQuants(int total, int blocks) {
        if (q.length < total) {
            q = new byte[total];
            qf = new float[total];
        }
        if (d.length < blocks) {
            d = new float[blocks];
            s = new float[blocks];
            qsum = new int[blocks];
        }
    }

    /**
     * Q8_0 blocks {@code [from, to)} as ggml does on AVX2: d = amax/127 stored as F16, q = round-half-even(x·(127/amax))
     * computed from the unrounded scale. Q8_1 adds s = f16(d·Σq) with the unrounded d.
     */
    private void quantizeQ8(float[] src, int from, int to, boolean withSum) {
        OPS.quantizeQ8(src, from, to, q, qf, qsum, amax);
        for (int b = from; b < to; b++) {
            float dd = amax[b] / 127f;
            d[b] = Float.float16ToFloat(Float.floatToFloat16(dd));
            if (withSum) s[b] = Float.float16ToFloat(Float.floatToFloat16(dd * qsum[b]));
        }
    }

    /**
     * Q8_K blocks {@code [from, to)} as ggml's reference: iscale = −127/x[argmax|x|] (first maximum),
     * q = min(127, round-half-even(iscale·x)), d = 1/iscale kept as F32, plus the sum of every 16 quants.
     */
    private void quantizeQ8K(float[] src, int from, int to) {
        OPS.quantizeQ8K(src, from, to, q, qf, bsums, d);
        for (int b = from; b < to; b++) {
            for (int g = 0; g < 8; g++) sums32[8 * b + g] = bsums[16 * b + 2 * g] + bsums[16 * b + 2 * g + 1];
        }
    }
}
