package dev.qwen4j.tensor.quant;

import dev.qwen4j.tensor.GgmlType;

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
     * Batches of at least {@link #TRANSPOSE_MIN} vectors are also stored element-major, for kernels that hold
     * tokens in SIMD lanes: {@code xt[k·tp + t]} is element k of vector t (the quants as floats for Q8 kinds, else
     * the converted values), {@code dt[j·tp + t]} the scale of block j of vector t, and for Q8_K
     * {@code s32t[i·tp + t]} its sums of 32 quants. {@code tp} is the batch rounded up to 16; the padding is zero.
     */
    public static final int TRANSPOSE_MIN = 16;
    public int tp;
    public float[] xt = new float[0];
    private short[] xts = new short[0];
    private volatile boolean xtsReady;
    public float[] dt = new float[0];
    public float[] s32t = new float[0];

    /** Converts {@code batch} vectors of length {@code n} stored one after another in {@code src}. */
    public void prepare(Kind kind, float[] src, int n, int batch) {
        this.kind = kind;
        this.n = n;
        this.batch = batch;
        this.xtsReady = false;
        int total = n * batch;
        switch (kind) {
            case F32 -> x = src;
            case F16, BF16 -> {
                if (rounded.length < total) rounded = new float[total];
                for (int i = 0; i < total; i++) {
                    rounded[i] = kind == Kind.F16 ? Floats.roundToF16(src[i]) : Floats.roundToBf16(src[i]);
                }
                x = rounded;
            }
            case Q8_0, Q8_1 -> quantizeQ8(src, total, kind == Kind.Q8_1);
            case Q8_K -> quantizeQ8K(src, total);
        }
        if (batch >= TRANSPOSE_MIN) transpose();
        else if (kind == Kind.Q8_0 || kind == Kind.Q8_K) pairQuants();
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

    /**
     * Batched Q8_0/Q8_K products: the quants transposed like {@link #xt}, as shorts, for the 16-bit integer tiles
     * of 4-bit weights. Made on first use after {@link #prepare} (other weight types never need them); threads
     * asking at once wait for the one making them.
     */
    public short[] xts() {
        if (!xtsReady) {
            synchronized (this) {
                if (!xtsReady) {
                    if (xts.length < n * tp) xts = new short[n * tp];
                    java.util.Arrays.fill(xts, 0, n * tp, (short) 0);
                    for (int t = 0; t < batch; t++) {
                        for (int k = 0; k < n; k++) xts[k * tp + t] = q[t * n + k];
                    }
                    xtsReady = true;
                }
            }
        }
        return xts;
    }

    private void transpose() {
        tp = (batch + 31) & ~31;
        float[] values = switch (kind) {
            case Q8_0, Q8_1, Q8_K -> qf;
            default -> x;
        };
        if (xt.length < n * tp) xt = new float[n * tp];
        java.util.Arrays.fill(xt, 0, n * tp, 0f);
        for (int t = 0; t < batch; t++) {
            for (int k = 0; k < n; k++) xt[k * tp + t] = values[t * n + k];
        }
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
     * Q8_0 as ggml does on AVX2: d = amax/127 stored as F16, q = round-half-even(x·(127/amax)) computed from the
     * unrounded scale. Q8_1 adds s = f16(d·Σq) with the unrounded d.
     */
    private void quantizeQ8(float[] src, int total, boolean withSum) {
        if (n % 32 != 0) throw new IllegalArgumentException("row length " + n + " is not a multiple of 32");
        int blocks = total / 32;
        ensureQuants(total, blocks);
        if (amax.length < blocks) amax = new float[blocks];
        OPS.quantizeQ8(src, blocks, q, qf, qsum, amax);
        for (int b = 0; b < blocks; b++) {
            float dd = amax[b] / 127f;
            d[b] = Float.float16ToFloat(Float.floatToFloat16(dd));
            if (withSum) s[b] = Float.float16ToFloat(Float.floatToFloat16(dd * qsum[b]));
        }
    }

    /**
     * Q8_K as ggml's reference: iscale = −127/x[argmax|x|] (first maximum), q = min(127, round-half-even(iscale·x)),
     * d = 1/iscale kept as F32, plus the sum of every 16 quants.
     */
    private void quantizeQ8K(float[] src, int total) {
        if (n % 256 != 0) throw new IllegalArgumentException("row length " + n + " is not a multiple of 256");
        int blocks = total / 256;
        ensureQuants(total, blocks);
        if (bsums.length < blocks * 16) {
            bsums = new int[blocks * 16];
            sums32 = new int[blocks * 8];
        }
        for (int b = 0; b < blocks; b++) {
            int base = 256 * b;
            float max = 0;
            float amax = 0;
            for (int i = 0; i < 256; i++) {
                float ax = Math.abs(src[base + i]);
                if (ax > amax) {
                    amax = ax;
                    max = src[base + i];
                }
            }
            if (amax == 0) {
                d[b] = 0;
                for (int i = 0; i < 256; i++) {
                    q[base + i] = 0;
                    qf[base + i] = 0;
                }
                for (int g = 0; g < 16; g++) bsums[16 * b + g] = 0;
                for (int g = 0; g < 8; g++) sums32[8 * b + g] = 0;
                continue;
            }
            float iscale = -127f / max;
            for (int g = 0; g < 16; g++) {
                int sum = 0;
                for (int i = base + 16 * g; i < base + 16 * g + 16; i++) {
                    int v = Math.min(127, (int) Math.rint(iscale * src[i]));
                    q[i] = (byte) v;
                    qf[i] = v;
                    sum += v;
                }
                bsums[16 * b + g] = sum;
            }
            for (int g = 0; g < 8; g++) sums32[8 * b + g] = bsums[16 * b + 2 * g] + bsums[16 * b + 2 * g + 1];
            d[b] = 1 / iscale;
        }
    }
}
