package dev.qwen4j.model;

/**
 * Causal grouped-query attention over a {@link KvCache} (QWEN_SPEC.md §2.4). Scores are computed one query row
 * at a time into a buffer of length position+1, so memory stays linear in the context.
 */
final class Attention {
    private Attention() {
    }

    /**
     * The part every Qwen attention shares: RoPE on each query and key head, append k and v to the cache, then
     * attend for each token. Token t's query heads sit at {@code a.q[t·qRowStride + h·qHeadStride ..]}
     * (Qwen3.5 interleaves its gate, hence the strides); the result goes to {@code a.attn}, heads in order.
     */
    static void causal(ModelConfig c, Rope rope, KvCache cache, Activations a, int start, int tokens, int qRowStride,
                       int qHeadStride) {
        int kvDim = c.kvDim();
        int attnDim = c.heads() * c.headDim();
        rope.angles(start, tokens, a.cos, a.sin);
        cache.ensure(start + tokens);
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < c.heads(); h++) rope.rotate(a.q, t * qRowStride + h * qHeadStride, a.cos, a.sin, t);
            for (int h = 0; h < c.kvHeads(); h++) rope.rotate(a.k, t * kvDim + h * c.headDim(), a.cos, a.sin, t);
            cache.store(start + t, a.k, t * kvDim, a.v, t * kvDim);
        }
        for (int t = 0; t < tokens; t++) {
            attend(c, cache, start + t, a.q, t * qRowStride, qHeadStride, a.scores, a.attn, t * attnDim);
        }
    }

    /**
     * For the query at {@code position} (all heads at {@code q[qOff..]}, head h at {@code qOff + h·qStride}),
     * writes the attended values of every head to {@code out[outOff + h·headDim ..]}.
     */
    static void attend(ModelConfig c, KvCache cache, int position, float[] q, int qOff, int qStride,
                       float[] scores, float[] out, int outOff) {
        int headDim = c.headDim();
        int kvDim = cache.kvDim();
        float[] keys = cache.keys();
        float[] values = cache.values();
        float scale = (float) (1.0 / Math.sqrt(headDim));
        for (int h = 0; h < c.heads(); h++) {
            int qh = qOff + h * qStride;
            int kvOff = (h / c.groupSize()) * headDim;
            float max = Float.NEGATIVE_INFINITY;
            for (int tau = 0; tau <= position; tau++) {
                int k = tau * kvDim + kvOff;
                float s = 0;
                for (int i = 0; i < headDim; i++) s += q[qh + i] * keys[k + i];
                s *= scale;
                scores[tau] = s;
                if (s > max) max = s;
            }
            float sum = 0;
            for (int tau = 0; tau <= position; tau++) {
                float e = (float) Math.exp(scores[tau] - max);
                scores[tau] = e;
                sum += e;
            }
            int o = outOff + h * headDim;
            java.util.Arrays.fill(out, o, o + headDim, 0f);
            float inv = 1f / sum;
            for (int tau = 0; tau <= position; tau++) {
                float a = scores[tau] * inv;
                int v = tau * kvDim + kvOff;
                for (int i = 0; i < headDim; i++) out[o + i] += a * values[v + i];
            }
        }
    }
}
