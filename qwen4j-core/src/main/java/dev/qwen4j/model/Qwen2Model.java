package dev.qwen4j.model;

import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.tensor.Kernels;
import dev.qwen4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/** Qwen2 / Qwen2.5 (GGUF {@code qwen2}, QWEN_SPEC.md §3): dense decoder, GQA attention with q/k/v biases. */
final class Qwen2Model {
    private Qwen2Model() {
    }

    /** Qwen2 attention: q, k, v projections with biases, then RoPE and causal GQA attention (no QK-norm). */
    record SelfAttention(ModelConfig c, Rope rope, int cacheSlot, Tensor wq, float[] bq, Tensor wk, float[] bk, Tensor wv,
                         float[] bv, Tensor wo) implements TokenMixer {
        @Override
        public void forward(Kernels kernels, Activations a, DecoderState state, int start, int tokens) {
            Linear.projectAll(kernels, new Tensor[] {wq, wk, wv}, a.x, tokens, new float[][] {a.q, a.k, a.v});
            Linear.addBias(a.q, bq, tokens);
            Linear.addBias(a.k, bk, tokens);
            Linear.addBias(a.v, bv, tokens);
            int hd = c.headDim();
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
                    w.matrix(p + "attn_q.weight", h, qDim), w.vector(p + "attn_q.bias", qDim),
                    w.matrix(p + "attn_k.weight", h, c.kvDim()), w.vector(p + "attn_k.bias", c.kvDim()),
                    w.matrix(p + "attn_v.weight", h, c.kvDim()), w.vector(p + "attn_v.bias", c.kvDim()),
                    w.matrix(p + "attn_output.weight", qDim, h));
            layers.add(new DecoderLayer(w.vector(p + "attn_norm.weight", h), attention, w.vector(p + "ffn_norm.weight", h),
                    FeedForward.read(w, p, h, c.ffn())));
        }
        return Models.assemble(gguf, c, kernels, w, layers, Qwen3Model.denseLayout(c), options);
    }
}
