package dev.qwen4j.model;

import dev.qwen4j.tensor.FloatOps;
import dev.qwen4j.tensor.Kernels;

import java.util.Arrays;

/**
 * Causal grouped-query attention over a {@link KvCache} (QWEN_SPEC.md §2.4). Scores are computed one query row
 * and head at a time into a buffer of length position+1, so memory stays linear in the context; the (token, head)
 * pairs of a batch run in parallel on the kernel threads.
 */
final class Attention {
    private static final FloatOps OPS = FloatOps.preferred();
    private static final ThreadLocal<float[][]> SCORES = ThreadLocal.withInitial(() -> new float[4][256]);

    private Attention() {
    }

    /**
     * The part every Qwen attention shares: RoPE on each query and key head, append k and v to the cache, then
     * attend for each token. Token t's query heads sit at {@code a.q[t·qRowStride + h·qHeadStride ..]}
     * (Qwen3.5 interleaves its gate, hence the strides); the result goes to {@code a.attn}, heads in order.
     */
    static void causal(Kernels kernels, ModelConfig c, Rope rope, KvCache cache, Activations a, int start, int tokens,
                       int qRowStride, int qHeadStride) {
        int kvDim = c.kvDim();
        int heads = c.heads();
        int attnDim = heads * c.headDim();
        rope.angles(start, tokens, a.cos, a.sin);
        cache.ensure(start + tokens);
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < heads; h++) rope.rotate(a.q, t * qRowStride + h * qHeadStride, a.cos, a.sin, t);
            for (int h = 0; h < c.kvHeads(); h++) rope.rotate(a.k, t * kvDim + h * c.headDim(), a.cos, a.sin, t);
            cache.store(start + t, a.k, t * kvDim, a.v, t * kvDim);
        }
        // Query heads sharing a KV head go in pairs, and two consecutive tokens with them: one pass over the cached
        // keys and values serves four queries (a last odd token: two).
        boolean paired = c.groupSize() % 2 == 0;
        int units = paired ? heads / 2 : heads;
        int quads = paired ? tokens / 2 * units : 0;
        int singles = (tokens - (paired ? tokens / 2 * 2 : 0)) * units;
        int firstSingle = paired ? tokens / 2 * 2 : 0;
        kernels.parallelFor(quads + singles, 1, (from, to) -> {
            float[][] s = scores(start + tokens);
            int[] qOff = new int[4], outOff = new int[4];
            for (int i = from; i < to; i++) {
                if (i < quads) {
                    int t = 2 * (i / units), h = 2 * (i % units);
                    for (int j = 0; j < 4; j++) {
                        qOff[j] = (t + j / 2) * qRowStride + (h + j % 2) * qHeadStride;
                        outOff[j] = (t + j / 2) * attnDim + (h + j % 2) * c.headDim();
                    }
                    attendQuad(c, cache, start + t, h, a.q, qOff, s, a.attn, outOff);
                    continue;
                }
                int t = firstSingle + (i - quads) / units, u = (i - quads) % units;
                if (paired) {
                    int h = 2 * u;
                    attendPair(c, cache, start + t, h, a.q, t * qRowStride + h * qHeadStride, t * qRowStride + (h + 1) * qHeadStride,
                            s[0], s[1], a.attn, t * attnDim + h * c.headDim());
                } else {
                    attendHead(c, cache, start + t, u, a.q, t * qRowStride + u * qHeadStride, s[0], a.attn, t * attnDim + u * c.headDim());
                }
            }
        });
    }

    /**
     * Query heads h, h + 1 (sharing a KV head) of the tokens at {@code position} and {@code position + 1}, queries
     * at {@code q[qOff[j]]} (j = 2·token + head), outputs at {@code out[outOff[j]]}: the keys and values of
     * positions 0..position are read once for all four, the second token's extra position is added after them.
     * The same results as four {@link #attendHead} calls.
     */
    static void attendQuad(ModelConfig c, KvCache cache, int position, int h, float[] q, int[] qOff, float[][] scores,
                           float[] out, int[] outOff) {
        int headDim = c.headDim();
        int kvOff = (h / c.groupSize()) * headDim;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        cache.scores4(position + 1, kvOff, q, qOff, headDim, scale, scores);
        scores[2][position + 1] = cache.dotKey(position + 1, kvOff, q, qOff[2], headDim) * scale;
        scores[3][position + 1] = cache.dotKey(position + 1, kvOff, q, qOff[3], headDim) * scale;
        for (int j = 0; j < 4; j++) {
            OPS.softmax(scores[j], 0, position + 1 + j / 2);
            Arrays.fill(out, outOff[j], outOff[j] + headDim, 0f);
        }
        cache.weightedValues4(scores, position + 1, kvOff, out, outOff, headDim);
        cache.addValue(position + 1, kvOff, scores[2][position + 1], out, outOff[2], headDim);
        cache.addValue(position + 1, kvOff, scores[3][position + 1], out, outOff[3], headDim);
    }

    /**
     * {@link #attendHead} for query heads h and h + 1, which share a KV head (an even group size): their
     * outputs go to {@code out[outOff ..]} and the head after it. The same results as two {@link #attendHead} calls.
     */
    static void attendPair(ModelConfig c, KvCache cache, int position, int h, float[] q, int qaOff, int qbOff,
                           float[] scoresA, float[] scoresB, float[] out, int outOff) {
        int headDim = c.headDim();
        int kvOff = (h / c.groupSize()) * headDim;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        cache.scores2(position + 1, kvOff, q, qaOff, qbOff, headDim, scale, scoresA, scoresB);
        OPS.softmax(scoresA, 0, position + 1);
        OPS.softmax(scoresB, 0, position + 1);
        Arrays.fill(out, outOff, outOff + 2 * headDim, 0f);
        cache.weightedValues2(scoresA, scoresB, position + 1, kvOff, out, outOff, outOff + headDim, headDim);
    }

    /**
     * Query head {@code h} at {@code position} (its vector at {@code q[qOff..]}) against cached positions
     * 0..position: softmax(q·k/√d_h) weighted sum of values into {@code out[outOff .. + headDim)}.
     */
    static void attendHead(ModelConfig c, KvCache cache, int position, int h, float[] q, int qOff, float[] scores,
                           float[] out, int outOff) {
        int headDim = c.headDim();
        int kvOff = (h / c.groupSize()) * headDim;            // consecutive query heads share a KV head
        float scale = (float) (1.0 / Math.sqrt(headDim));
        cache.scores(position + 1, kvOff, q, qOff, headDim, scale, scores);
        OPS.softmax(scores, 0, position + 1);
        Arrays.fill(out, outOff, outOff + headDim, 0f);
        cache.weightedValues(scores, position + 1, kvOff, out, outOff, headDim);
    }

    /** This thread's four score buffers, grown to {@code n + 1}: the kernel threads are fixed, so they are allocated once. */
    private static float[][] scores(int n) {
        float[][] s = SCORES.get();
        if (s[0].length < n + 1) {
            for (int j = 0; j < 4; j++) s[j] = new float[Math.max(n + 1, 2 * s[j].length)];
        }
        return s;
    }
}
