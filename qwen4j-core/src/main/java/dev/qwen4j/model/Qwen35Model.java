package dev.qwen4j.model;

import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.tensor.FloatOps;
import dev.qwen4j.tensor.Kernels;
import dev.qwen4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Qwen3.5 dense hybrid (GGUF {@code qwen35}, QWEN_SPEC.md §4): three Gated DeltaNet layers, then one gated
 * full-attention layer, repeated. Every norm in the GGUF already includes HF's +1 (except {@code ssm_norm}). The
 * first MTP block appended after the main stack, when the file has one, becomes the model's {@link DraftHead}.
 */
final class Qwen35Model {
    private static final FloatOps OPS = FloatOps.preferred();

    private Qwen35Model() {
    }

    /**
     * Gated attention (§4.4): q_proj yields per head [query | gate]; QK-norm, partial NEOX RoPE, causal GQA, then
     * the output is multiplied by sigmoid(gate) before o_proj.
     */
    record GatedAttention(ModelConfig c, Rope rope, int cacheSlot, Tensor wqGate, Tensor wk, Tensor wv, float[] qNorm,
                          float[] kNorm, Tensor wo) implements TokenMixer {
        @Override
        public void forward(Kernels kernels, Activations a, DecoderState state, int start, int tokens) {
            Linear.projectAll(kernels, new Tensor[] {wqGate, wk, wv}, a.x, tokens, new float[][] {a.q, a.k, a.v});
            int hd = c.headDim();
            int qRow = 2 * c.heads() * hd;
            RmsNorm.heads(kernels, a.q, 0, tokens * c.heads(), 2 * hd, qNorm, c.rmsEps());   // the query halves only
            RmsNorm.heads(kernels, a.k, 0, tokens * c.kvHeads(), hd, kNorm, c.rmsEps());
            Attention.causal(kernels, c, rope, state.kvCache(cacheSlot), a, start, tokens, qRow, 2 * hd);
            int attnDim = c.heads() * hd;
            for (int t = 0; t < tokens; t++) {
                for (int h = 0; h < c.heads(); h++) {
                    int gate = t * qRow + h * 2 * hd + hd;
                    int o = t * attnDim + h * hd;
                    OPS.sigmoidMul(a.attn, o, a.q, gate, hd);
                }
            }
            Linear.project(kernels, wo, a.attn, tokens, a.y);
        }
    }

    /** A Gated DeltaNet layer bound to its slot of the state. */
    record LinearAttention(GatedDeltaNet block, int stateSlot) implements TokenMixer {
        @Override
        public void forward(Kernels kernels, Activations a, DecoderState state, int start, int tokens) {
            block.forward(kernels, a, tokens, state.deltaNet(stateSlot), state.trail(stateSlot));
        }
    }

    static Decoder load(GgufFile gguf, ModelConfig c, DeltaNetConfig d, Kernels kernels, LoadOptions options) {
        WeightReader w = new WeightReader(gguf, kernels);
        Rope rope = new Rope(c.ropeDims(), c.ropeTheta());
        int h = c.hidden();
        int attnDim = c.heads() * c.headDim();
        List<DecoderLayer> layers = new ArrayList<>();
        int attentionLayers = 0;
        int deltaNetLayers = 0;
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            TokenMixer mixer = d.isFullAttention(l) ? gatedAttention(w, c, rope, p, attentionLayers++)
                    : new LinearAttention(GatedDeltaNet.read(w, p, d, h, c.rmsEps()), deltaNetLayers++);
            layers.add(layer(w, c, p, mixer));
        }
        Activations.Sizes sizes = new Activations.Sizes(h, 2 * attnDim, c.kvDim(), attnDim, c.ropeDims() / 2, c.ffn(),
                d.convDim(), d.valueDim(), d.valueHeads(), d.valueHeadDim());
        DraftHead.Parts draft = gguf.getInt(c.architecture() + ".nextn_predict_layers", 0) > 0
                ? readDraftHead(w, c, rope, attentionLayers) : null;
        return Models.assemble(gguf, c, kernels, w, layers,
                new Decoder.StateLayout(attentionLayers, c.kvDim(), deltaNetLayers, d, sizes), options, draft);
    }

    /** The gated-attention mixer of layer {@code p} ("blk.N."), on KV cache slot {@code cacheSlot}. */
    private static GatedAttention gatedAttention(WeightReader w, ModelConfig c, Rope rope, String p, int cacheSlot) {
        int h = c.hidden();
        int attnDim = c.heads() * c.headDim();
        return new GatedAttention(c, rope, cacheSlot,
                w.matrix(p + "attn_q.weight", h, 2L * attnDim), w.matrix(p + "attn_k.weight", h, c.kvDim()),
                w.matrix(p + "attn_v.weight", h, c.kvDim()),
                w.vector(p + "attn_q_norm.weight", c.headDim()), w.vector(p + "attn_k_norm.weight", c.headDim()),
                w.matrix(p + "attn_output.weight", attnDim, h));
    }

    /** Layer {@code p} around its mixer: its two norms and its feed-forward. */
    private static DecoderLayer layer(WeightReader w, ModelConfig c, String p, TokenMixer mixer) {
        int h = c.hidden();
        return new DecoderLayer(w.vector(p + "attn_norm.weight", h), mixer, w.vector(p + "post_attention_norm.weight", h),
                FeedForward.read(w, p, h, c.ffn()));
    }

    /**
     * The first MTP block (layer L, §4.9): its projection and norms, and a gated-attention layer whose KV cache is
     * the slot after the main model's attention layers.
     */
    private static DraftHead.Parts readDraftHead(WeightReader w, ModelConfig c, Rope rope, int cacheSlot) {
        int h = c.hidden();
        String p = "blk." + c.layers() + ".";
        DecoderLayer block = layer(w, c, p, gatedAttention(w, c, rope, p, cacheSlot));
        return new DraftHead.Parts(w.matrix(p + "nextn.eh_proj.weight", 2L * h, h),
                w.vector(p + "nextn.enorm.weight", h), w.vector(p + "nextn.hnorm.weight", h), block,
                w.vector(p + "nextn.shared_head_norm.weight", h),
                w.has(p + "nextn.embed_tokens.weight") ? w.table(p + "nextn.embed_tokens.weight", h, c.vocabSize()) : null,
                w.has(p + "nextn.shared_head_head.weight") ? w.matrix(p + "nextn.shared_head_head.weight", h, c.vocabSize()) : null);
    }
}
