package dev.qwen4j.model;

/**
 * Per-state scratch buffers for one chunk of up to {@code chunk} tokens, rows one after another. Living in the
 * state (not the model) is what makes concurrent forward calls on different states safe.
 * Buffers a model family does not use have length 0.
 */
final class Activations {
    /**
     * Rows of a chunk per piece of row-wise work on the kernel threads (norms, activations, residual adds, RoPE):
     * a decode step or a short verify pass stays on the calling thread.
     */
    static final int ROW_GRAIN = 16;

    final int chunk;
    /** Residual stream, normalised input of a block, output of a block: chunk × hidden. */
    final float[] h, x, y;
    /** Attention projections (q may include the Qwen3.5 gate), the attended values, RoPE tables. */
    final float[] q, k, v, attn, cos, sin;
    final float[] ffnGate, ffnUp;
    /** Gated DeltaNet: conv channels (q|k|v), output gate z, the β and decay projections, each head's output. */
    final float[] mix, z, beta, alpha, headOut;
    /**
     * What {@link #cos} and {@link #sin} hold: the angles of {@code anglesRope} for positions {@code anglesStart}
     * onwards, {@code anglesTokens} rows (every attention layer of a pass needs the same ones).
     */
    private Rope anglesRope;
    private int anglesStart, anglesTokens;
    /** chunk × vocab, allocated on the first request for every token's logits. */
    float[] allLogits = new float[0];

    record Sizes(int hidden, int qRows, int kvDim, int attnDim, int ropeHalf, int ffn, int convDim, int valueDim,
                 int valueHeads, int valueHeadDim) {
    }

    Activations(Sizes s, int chunk, int capacity) {
        this.chunk = chunk;
        h = new float[chunk * s.hidden()];
        x = new float[chunk * s.hidden()];
        y = new float[chunk * s.hidden()];
        q = new float[chunk * s.qRows()];
        k = new float[chunk * s.kvDim()];
        v = new float[chunk * s.kvDim()];
        attn = new float[chunk * s.attnDim()];
        cos = new float[chunk * s.ropeHalf()];
        sin = new float[chunk * s.ropeHalf()];
        ffnGate = new float[chunk * s.ffn()];
        ffnUp = new float[chunk * s.ffn()];
        mix = new float[chunk * s.convDim()];
        z = new float[chunk * s.valueDim()];
        beta = new float[chunk * s.valueHeads()];
        alpha = new float[chunk * s.valueHeads()];
        headOut = new float[s.valueHeads() * s.valueHeadDim()];
    }

    /** Fills {@link #cos}/{@link #sin} with {@code rope}'s angles for the positions, unless they hold them already. */
    void angles(Rope rope, int start, int tokens) {
        if (rope == anglesRope && start == anglesStart && tokens <= anglesTokens) return;
        rope.angles(start, tokens, cos, sin);
        anglesRope = rope;
        anglesStart = start;
        anglesTokens = tokens;
    }

    float[] allLogits(int vocab) {
        if (allLogits.length < chunk * vocab) allLogits = new float[chunk * vocab];
        return allLogits;
    }

    long byteSize() {
        long n = 0;
        for (float[] a : new float[][]{h, x, y, q, k, v, attn, cos, sin, ffnGate, ffnUp, mix, z, beta, alpha, headOut, allLogits}) {
            n += a.length;
        }
        return 4 * n;
    }
}
