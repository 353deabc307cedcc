package dev.qwen4j.model;

import dev.qwen4j.tensor.FloatOps;
import dev.qwen4j.tensor.Kernels;

import java.util.Arrays;

/**
 * Causal grouped-query attention over a {@link KvCache} (QWEN_SPEC.md §2.4). A decode step or a short verify pass
 * scores one query row and head at a time (heads and tokens sharing a KV head in pairs and fours) into a buffer of
 * length position+1; a prompt chunk goes in tiles of queries held in SIMD lanes
 * ({@link #causalTiles}). Either way memory stays linear in the context, and the work runs on the kernel threads.
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
        a.angles(rope, start, tokens);
        cache.ensure(start + tokens);
        kernels.parallelFor(tokens, Activations.ROW_GRAIN, (from, to) -> {
            for (int t = from; t < to; t++) {
                for (int h = 0; h < heads; h++) rope.rotate(a.q, t * qRowStride + h * qHeadStride, a.cos, a.sin, t);
                for (int h = 0; h < c.kvHeads(); h++) rope.rotate(a.k, t * kvDim + h * c.headDim(), a.cos, a.sin, t);
                cache.store(start + t, a.k, t * kvDim, a.v, t * kvDim);
            }
        });
        if (tokens >= TILE_MIN) {
            causalTiles(kernels, c, cache, a, start, tokens, qRowStride, qHeadStride);
            return;
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
     * Batches from this size (prompt chunks) attend in tiles; smaller ones (a decode step, a verify pass of drafts)
     * keep the per-query path, whose results equal one token at a time.
     */
    static final int TILE_MIN = 16;

    /**
     * A prompt chunk's attention in tiles of {@link FloatOps#tileLanes()} queries that share a KV head (the chunk's
     * queries of a KV group in order, token-major): the queries transposed so each is a lane, scored against the
     * cached keys up to the tile's last position with no reduction across lanes, the positions after each query's
     * own masked out, a softmax down each lane, then the value sums. The KV head's cached rows are first copied out
     * back to back (once per thread and head, whatever the cache's element type). Memory stays linear in the
     * context: one tile of scores and one head's rows per thread.
     */
    private static void causalTiles(Kernels kernels, ModelConfig c, KvCache cache, Activations a, int start, int tokens,
                                    int qRowStride, int qHeadStride) {
        int lanes = OPS.tileLanes();
        int group = c.groupSize();
        int headDim = c.headDim();
        int attnDim = c.heads() * headDim;
        int perGroup = tokens * group;
        int tilesPerGroup = (perGroup + lanes - 1) / lanes;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        kernels.parallelFor(c.kvHeads() * tilesPerGroup, 1, (from, to) -> {
            Tile tile = TILE.get().ensure(lanes, headDim, start + tokens);
            // A KV head's rows are copied out once per run of its tiles (later tiles first: the first copies all).
            int copiedHead = -1, copied = 0;
            for (int u = from; u < to; u++) {
                // Later tiles see more positions: hand them out first so the threads finish together.
                int unit = c.kvHeads() * tilesPerGroup - 1 - u;
                int g = unit / tilesPerGroup, q0 = unit % tilesPerGroup * lanes;
                int used = Math.min(lanes, perGroup - q0);
                for (int l = 0; l < lanes; l++) {
                    int i = q0 + Math.min(l, used - 1);
                    int t = i / group, h = g * group + i % group;
                    int qOff = t * qRowStride + h * qHeadStride;
                    for (int d = 0; d < headDim; d++) tile.qt[d * lanes + l] = a.q[qOff + d];
                    tile.position[l] = start + t;
                    tile.outOff[l] = t * attnDim + h * headDim;
                }
                int count = start + (q0 + used - 1) / group + 1;    // up to the tile's last token (queries go token-major)
                if (g != copiedHead) {
                    copiedHead = g;
                    copied = 0;
                }
                if (copied < count) {
                    cache.copyRows(copied, count, g * headDim, headDim, tile.keys, tile.values);
                    copied = count;
                }
                OPS.scoresTile(tile.qt, lanes, tile.keys, 0, headDim, count, headDim, scale, tile.scores);
                for (int l = 0; l < lanes; l++) {
                    for (int p = tile.position[l] + 1; p < count; p++) tile.scores[p * lanes + l] = Float.NEGATIVE_INFINITY;
                }
                OPS.softmaxTile(tile.scores, lanes, count);
                OPS.weightedTile(tile.scores, lanes, used, tile.values, 0, headDim, count, headDim, a.attn, tile.outOff);
            }
        });
    }

    /**
     * One thread's tile buffers, grown as contexts grow (by a quarter at least, not doubled: at a 32K context a
     * thread's copy of one KV head is 32 MB with 128-wide heads). The kernel threads are fixed, so they are kept.
     */
    private static final class Tile {
        float[] qt = new float[0];
        float[] scores = new float[0];
        /** One KV head's keys and values, rows back to back ({@link KvCache#copyRows}). */
        float[] keys = new float[0];
        float[] values = new float[0];
        int[] position = new int[0];
        int[] outOff = new int[0];

        Tile ensure(int lanes, int headDim, int positions) {
            if (qt.length < lanes * headDim) qt = new float[lanes * headDim];
            if (scores.length < lanes * positions) scores = new float[Math.max(lanes * positions, scores.length + scores.length / 4)];
            if (keys.length < headDim * positions) {
                keys = new float[Math.max(headDim * positions, keys.length + keys.length / 4)];
                values = new float[keys.length];
            }
            if (position.length < lanes) {
                position = new int[lanes];
                outOff = new int[lanes];
            }
            return this;
        }
    }

    private static final ThreadLocal<Tile> TILE = ThreadLocal.withInitial(Tile::new);

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
