package dev.qwen4j.model;

import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.tensor.Kernels;
import dev.qwen4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/** Qwen3 (GGUF {@code qwen3}, QWEN_SPEC.md §3): dense decoder, GQA attention with per-head QK-norm, no biases. */
final class Qwen3Model {
    private Qwen3Model() {
    }

    /** Qwen3 attention: q, k, v projections, RMSNorm of each q and k head, then RoPE and causal GQA attention. */
    record SelfAttention(ModelConfig c, Rope rope, int cacheSlot, Tensor wq, Tensor wk, Tensor wv, float[] qNorm,
                         float[] kNorm, Tensor wo) implements TokenMixer {
        @Override
        public void forward(Kernels kernels, Activations a, DecoderState state, int start, int tokens) {
            Linear.projectAll(kernels, new Tensor[] {wq, wk, wv}, a.x, tokens, new float[][] {a.q, a.k, a.v});
            int hd = c.headDim();
            RmsNorm.heads(kernels, a.q, 0, tokens * c.heads(), hd, qNorm, c.rmsEps());
            RmsNorm.heads(kernels, a.k, 0, tokens * c.kvHeads(), hd, kNorm, c.rmsEps());
            Attention.causal(kernels, c, rope, state.kvCache(cacheSlot), a, start, tokens, c.heads() * hd, hd);
            Linear.project(kernels, wo, a.attn, tokens, a.y);
        }
    }

    static Decoder load(GgufFile gguf, ModelConfig c, Kernels kernels, LoadOptions options) {
        WeightReader w = new WeightReader(gguf, kernels);
        Rope rope = new Rope(c.ropeDims(), c.ropeTheta());
        int h = c.hidden();
        int qDim = c.heads() * c.headDim();
        List<DecoderLayer> layers = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            SelfAttention attention = new SelfAttention(c, rope, l,
                    w.matrix(p + "attn_q.weight", h, qDim), w.matrix(p + "attn_k.weight", h, c.kvDim()),
                    w.matrix(p + "attn_v.weight", h, c.kvDim()),
                    w.vector(p + "attn_q_norm.weight", c.headDim()), w.vector(p + "attn_k_norm.weight", c.headDim()),
                    w.matrix(p + "attn_output.weight", qDim, h));
            layers.add(new DecoderLayer(w.vector(p + "attn_norm.weight", h), attention, w.vector(p + "ffn_norm.weight", h),
                    FeedForward.read(w, p, h, c.ffn())));
        }
        return Models.assemble(gguf, c, kernels, w, layers, denseLayout(c), options);
    }

    static Decoder.StateLayout denseLayout(ModelConfig c) {
        int qDim = c.heads() * c.headDim();
        return new Decoder.StateLayout(c.layers(), c.kvDim(), 0, null,
                new Activations.Sizes(c.hidden(), qDim, c.kvDim(), qDim, c.ropeDims() / 2, c.ffn(), 0, 0, 0, 0));
    }
}
