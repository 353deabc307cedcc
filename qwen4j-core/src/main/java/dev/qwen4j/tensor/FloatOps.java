package dev.qwen4j.tensor;

/**
 * The float-array kernels of a forward pass outside the weight products: dot products and scaled adds (attention),
 * norms, the SwiGLU gate, residual adds, and one step of the gated delta rule (Qwen3.5 linear attention).
 * Two implementations, chosen once like {@link Kernels}' ({@code -Dqwen4j.kernels=portable|vector|auto}): the
 * plain-Java reference ({@link PortableFloatOps}) and a Vector API one; they agree up to the fp32 order of
 * sums (parity tests). Stateless and thread-safe.
 */
public interface FloatOps {

    /** The implementation picked by {@code -Dqwen4j.kernels} (Vector API when present, by default). */
    static FloatOps preferred() {
        return Choice.PREFERRED;
    }

    static FloatOps create(Kernels.Implementation impl) {
        return switch (impl) {
            case PORTABLE -> new PortableFloatOps();
            case VECTOR -> Choice.vector(true);
            case AUTO -> {
                FloatOps v = Choice.vector(false);
                yield v != null ? v : new PortableFloatOps();
            }
        };
    }

    /** "portable" or "vector-512", for logs. */
    String name();

    /** {@code Σ a[aOff + i]·b[bOff + i]} over {@code i < n}. */
    float dot(float[] a, int aOff, float[] b, int bOff, int n);

    /**
     * Attention scores: {@code out[outOff + i] = scale · dot(q[qOff ..], rows[rowOff + i·stride ..], n)} for
     * {@code i < count}, each dot with {@link #dot}'s arithmetic (the order of a vector's final lane reduction is
     * left to the Vector API, so the last bits may differ between interpreted and compiled code).
     */
    default void dotRows(float[] q, int qOff, float[] rows, int rowOff, int stride, int count, int n, float scale,
                         float[] out, int outOff) {
        for (int i = 0; i < count; i++) out[outOff + i] = dot(q, qOff, rows, rowOff + i * stride, n) * scale;
    }

    /**
     * {@link #dotRows} for two queries against the same rows (two query heads sharing a KV head): the scores of
     * {@code qa} into {@code outA}, of {@code qb} into {@code outB}, each as {@link #dotRows} computes it.
     */
    default void dotRows2(float[] q, int qaOff, int qbOff, float[] rows, int rowOff, int stride, int count, int n,
                          float scale, float[] outA, float[] outB) {
        dotRows(q, qaOff, rows, rowOff, stride, count, n, scale, outA, 0);
        dotRows(q, qbOff, rows, rowOff, stride, count, n, scale, outB, 0);
    }

    /**
     * {@link #weightedSum} for two weight vectors over the same rows, into {@code out[aOff ..]} and
     * {@code out[bOff ..]}, each exactly as {@link #weightedSum} computes it.
     */
    default void weightedSum2(float[] wa, float[] wb, float[] rows, int rowOff, int stride, int count, int n,
                              float[] out, int aOff, int bOff) {
        weightedSum(wa, 0, rows, rowOff, stride, count, n, out, aOff);
        weightedSum(wb, 0, rows, rowOff, stride, count, n, out, bOff);
    }

    /**
     * {@link #dotRows} for four queries against the same rows (two query heads × two tokens sharing a KV head),
     * into {@code out[j][..]} for query {@code j} at {@code q[qOff[j] ..]}, each as {@link #dotRows} computes it.
     */
    default void dotRows4(float[] q, int[] qOff, float[] rows, int rowOff, int stride, int count, int n, float scale,
                          float[][] out) {
        for (int j = 0; j < 4; j++) dotRows(q, qOff[j], rows, rowOff, stride, count, n, scale, out[j], 0);
    }

    /**
     * {@link #weightedSum} for four weight vectors {@code w[j]} over the same rows, into {@code out[outOff[j] ..]},
     * each exactly as {@link #weightedSum} computes it.
     */
    default void weightedSum4(float[][] w, float[] rows, int rowOff, int stride, int count, int n, float[] out, int[] outOff) {
        for (int j = 0; j < 4; j++) weightedSum(w[j], 0, rows, rowOff, stride, count, n, out, outOff[j]);
    }

    /**
     * Queries per tile of the transposed attention kernels ({@link #scoresTile}, {@link #softmaxTile},
     * {@link #weightedTile}): one SIMD vector of them.
     */
    default int tileLanes() {
        return 8;
    }

    /**
     * Scores of a tile of queries held transposed, {@code qt[d·lanes + l]} = element d of query l: {@code
     * out[i·lanes + l] = scale·Σ_d rows[rowOff + i·stride + d]·qt[d·lanes + l]} for rows {@code i < count}, the
     * sum over d in order. {@code lanes} is {@link #tileLanes()}.
     */
    default void scoresTile(float[] qt, int lanes, float[] rows, int rowOff, int stride, int count, int n, float scale,
                            float[] out) {
        for (int i = 0; i < count; i++) {
            int r = rowOff + i * stride;
            for (int l = 0; l < lanes; l++) {
                float sum = 0;
                for (int d = 0; d < n; d++) sum = Math.fma(rows[r + d], qt[d * lanes + l], sum);
                out[i * lanes + l] = sum * scale;
            }
        }
    }

    /**
     * Softmax down each column {@code l} of {@code s[i·lanes + l]}, {@code i < count}, in place, as {@link #softmax}
     * computes it for one row (max, e^(x − max), times 1/Σ); −∞ entries become 0.
     */
    default void softmaxTile(float[] s, int lanes, int count) {
        for (int l = 0; l < lanes; l++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < count; i++) max = Math.max(max, s[i * lanes + l]);
            float sum = 0;
            for (int i = 0; i < count; i++) {
                float e = (float) Math.exp(s[i * lanes + l] - max);
                s[i * lanes + l] = e;
                sum += e;
            }
            float inv = 1f / sum;
            for (int i = 0; i < count; i++) s[i * lanes + l] *= inv;
        }
    }

    /**
     * The first {@code used} columns of a tile of weights {@code w[i·lanes + l]} times the rows:
     * {@code out[outOff[l] + j] = Σ_i w[i·lanes + l]·rows[rowOff + i·stride + j]} for {@code j < n}, rows in order
     * (the output is overwritten).
     */
    default void weightedTile(float[] w, int lanes, int used, float[] rows, int rowOff, int stride, int count, int n,
                              float[] out, int[] outOff) {
        for (int l = 0; l < used; l++) {
            java.util.Arrays.fill(out, outOff[l], outOff[l] + n, 0f);
            for (int i = 0; i < count; i++) axpy(w[i * lanes + l], rows, rowOff + i * stride, out, outOff[l], n);
        }
    }

    /**
     * A weighted sum of rows (attention values): {@code out[outOff ..] += Σ_i w[wOff + i]·rows[rowOff + i·stride ..]}
     * over {@code n} columns, each row added as {@link #axpy} adds it, rows in order.
     */
    default void weightedSum(float[] w, int wOff, float[] rows, int rowOff, int stride, int count, int n,
                             float[] out, int outOff) {
        for (int i = 0; i < count; i++) axpy(w[wOff + i], rows, rowOff + i * stride, out, outOff, n);
    }

    /** {@code Σ x[off + i]²} over {@code i < n}. */
    float sumOfSquares(float[] x, int off, int n);

    /** {@code y[yOff + i] += alpha·x[xOff + i]}. */
    void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n);

    /** {@code y[yOff + i] += x[xOff + i]} for {@code i < n} (the residual add). */
    void add(float[] y, int yOff, float[] x, int xOff, int n);

    /** {@code x[off + i] *= s}. */
    void scale(float[] x, int off, int n, float s);

    /** {@code out[outOff + i] = x[xOff + i]·s·w[i]}: applying an RMSNorm once its scale {@code s} is known. */
    void scaleMul(float[] x, int xOff, float s, float[] w, float[] out, int outOff, int n);

    /** {@code gate[gOff + i] = silu(gate[gOff + i])·up[upOff + i]} (SwiGLU, the gated norm's output gate). */
    void siluMul(float[] gate, int gOff, float[] up, int upOff, int n);

    /** {@code x[xOff + i] *= sigmoid(gate[gOff + i])} (Qwen3.5's attention output gate). */
    void sigmoidMul(float[] x, int xOff, float[] gate, int gOff, int n);

    /** Softmax in place: {@code x ← exp(x − max x) / Σ exp(x − max x)} over {@code [off, off + n)}, n ≥ 1. */
    void softmax(float[] x, int off, int n);

    /**
     * Causal depthwise convolution then SiLU, in place on one token's {@code channels} values at {@code x[off ..]}
     * (QWEN_SPEC.md §4.6.1 step 2). Both arrays are tap-major: tap {@code i} of channel {@code ch} is
     * {@code taps[i·channels + ch]}, the last tap multiplies the new input; {@code state} holds the previous
     * {@code kernel − 1} inputs, oldest row first, and is shifted by one row.
     */
    default void convolveSilu(float[] x, int off, float[] state, float[] taps, int channels, int kernel) {
        convolveSilu(x, off, state, taps, channels, kernel, 0, channels);
    }

    /** {@link #convolveSilu(float[], int, float[], float[], int, int)} of channels {@code [from, to)} only. */
    void convolveSilu(float[] x, int off, float[] state, float[] taps, int channels, int kernel, int from, int to);

    /**
     * {@link #convolveSilu(float[], int, float[], float[], int, int, int, int)} for {@code tokens} tokens in order,
     * token t's values at {@code x[off + t·stride ..]}: the same results, for implementations that keep a channel's
     * state in registers from one token to the next.
     */
    default void convolveSiluTokens(float[] x, int off, int stride, int tokens, float[] state, float[] taps, int channels,
                                    int kernel, int from, int to) {
        for (int t = 0; t < tokens; t++) convolveSilu(x, off + t * stride, state, taps, channels, kernel, from, to);
    }

    /**
     * One token of the gated delta rule for one value head (QWEN_SPEC.md §4.6.1 step 8): S ← α·S;
     * δ = β·(v − Sᵀk); S ← S + k·δᵀ; o = Sᵀq. S is {@code dk × dv} at {@code state[base ..]}, row = key index;
     * o goes to {@code out[outOff .. + dv)}.
     */
    void deltaRule(float[] state, int base, int dk, int dv, float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                   float beta, float decay, float[] out, int outOff);

    /**
     * Two consecutive tokens of {@link #deltaRule} for one head (q, k, v of token 2 at {@code q2Off}, {@code k2Off},
     * {@code v2Off} of the same arrays): the same results up to float rounding, for implementations that pass over
     * S once for both (Sᵀk₂ and Sᵀq₂ after token 1 follow from the old S and token 1's δ).
     */
    default void deltaRule2(float[] state, int base, int dk, int dv, float[] x, int q1Off, int k1Off, int v1Off,
                            float beta1, float decay1, int q2Off, int k2Off, int v2Off, float beta2, float decay2,
                            float[] out, int out1Off, int out2Off) {
        deltaRule(state, base, dk, dv, x, q1Off, x, k1Off, x, v1Off, beta1, decay1, out, out1Off);
        deltaRule(state, base, dk, dv, x, q2Off, x, k2Off, x, v2Off, beta2, decay2, out, out2Off);
    }

    /**
     * The arithmetic of ggml's Q8_0 quantization for blocks {@code [from, to)} of 32 values of {@code src}: per
     * block {@code amax[b]} = max |x|, and each quant q = round-half-even(x·(127/amax)) (0 when amax is 0) into
     * {@code q} (bytes) and {@code qf} (the same integers as floats), with their sum in {@code qsum[b]}.
     */
    void quantizeQ8(float[] src, int from, int to, byte[] q, float[] qf, int[] qsum, float[] amax);

    /**
     * ggml's reference Q8_K quantization of blocks {@code [from, to)} of 256 values of {@code src}: per block the
     * value m of largest magnitude (the first, on ties), iscale = −127/m, each quant q = min(127,
     * round-half-even(iscale·x)) into {@code q} and {@code qf}, the sum of every 16 quants in
     * {@code bsums[16·b + i]}, and d = 1/iscale in {@code d[b]}; an all-zero block gives zeros and d = 0.
     */
    void quantizeQ8K(float[] src, int from, int to, byte[] q, float[] qf, int[] bsums, float[] d);

    /** An all-zero Q8_K block {@code b}: zero quants and sums, d = 0 (both {@link #quantizeQ8K}s). */
    static void zeroQ8KBlock(int b, byte[] q, float[] qf, int[] bsums, float[] d) {
        d[b] = 0;
        java.util.Arrays.fill(q, 256 * b, 256 * b + 256, (byte) 0);
        java.util.Arrays.fill(qf, 256 * b, 256 * b + 256, 0f);
        java.util.Arrays.fill(bsums, 16 * b, 16 * b + 16, 0);
    }

    /** Loads the Vector API version by name, so nothing here links against jdk.incubator.vector. */
    final class Choice {
        private static final FloatOps PREFERRED = pick();

        private Choice() {
        }

        private static FloatOps pick() {
            String prop = System.getProperty("qwen4j.kernels", "auto");
            return create(switch (prop) {
                case "portable" -> Kernels.Implementation.PORTABLE;
                case "vector" -> Kernels.Implementation.VECTOR;
                default -> Kernels.Implementation.AUTO;
            });
        }

        static FloatOps vector(boolean required) {
            if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
                if (required) throw new IllegalStateException("the Vector API needs --add-modules jdk.incubator.vector");
                return null;
            }
            try {
                return (FloatOps) Class.forName("dev.qwen4j.tensor.vector.VectorFloatOps").getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                if (required) throw new IllegalStateException("cannot load the Vector API float kernels: " + e, e);
                return null;
            }
        }
    }
}
