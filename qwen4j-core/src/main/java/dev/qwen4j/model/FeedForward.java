package dev.qwen4j.model;

import dev.qwen4j.tensor.FloatOps;
import dev.qwen4j.tensor.Kernels;
import dev.qwen4j.tensor.Tensor;

/** SwiGLU feed-forward (QWEN_SPEC.md §2.2): {@code W_down · (silu(W_gate·x) ⊙ W_up·x)}, no biases. */
record FeedForward(Tensor gate, Tensor up, Tensor down) {
    private static final FloatOps OPS = FloatOps.preferred();

    static FeedForward read(WeightReader w, String prefix, int hidden, int ffn) {
        return new FeedForward(w.matrix(prefix + "ffn_gate.weight", hidden, ffn), w.matrix(prefix + "ffn_up.weight", hidden, ffn),
                w.matrix(prefix + "ffn_down.weight", ffn, hidden));
    }

    /** Reads a.x, writes a.y. */
    void apply(Kernels kernels, Activations a, int tokens) {
        Linear.projectAll(kernels, new Tensor[] {gate, up}, a.x, tokens, new float[][] {a.ffnGate, a.ffnUp});
        int width = Math.toIntExact(up.rows());
        kernels.parallelFor(tokens, Activations.ROW_GRAIN, (from, to) ->
                OPS.siluMul(a.ffnGate, from * width, a.ffnUp, from * width, (to - from) * width));
        Linear.project(kernels, down, a.ffnGate, tokens, a.y);
    }
}
