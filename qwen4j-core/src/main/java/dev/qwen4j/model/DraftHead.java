package dev.qwen4j.model;

import dev.qwen4j.tensor.Tensor;

/**
 * Qwen3.5's multi-token-prediction block (QWEN_SPEC.md §4.9), appended to the main stack in a GGUF as layer L
 * ({@code nextn_predict_layers = 1}). From the main model's final-normalised hidden state at position p and the
 * token at p + 1 it predicts the token at p + 2:
 * {@code u = W_eh · [RMSNorm(embed(token); enorm) | RMSNorm(h_p; hnorm)]}, one gated-attention decoder layer with
 * its own KV cache, then {@code RMSNorm(·; shared_head_norm)} and the output head. It never changes what the main
 * model computes: its guesses are drafts, verified by the main model.
 *
 * @param embedding the block's own embedding table, else the main model's
 * @param output    the block's own output head, else the main model's
 */
record DraftHead(Tensor ehProj, float[] embeddingNorm, float[] hiddenNorm, DecoderLayer block, float[] headNorm,
                 Tensor embedding, Tensor output) {

    /** What a GGUF holds of the block before the main model's shared tensors are known. */
    record Parts(Tensor ehProj, float[] embeddingNorm, float[] hiddenNorm, DecoderLayer block, float[] headNorm,
                 Tensor ownEmbedding, Tensor ownOutput) {
        DraftHead with(Tensor embedding, Tensor output) {
            return new DraftHead(ehProj, embeddingNorm, hiddenNorm, block, headNorm,
                    ownEmbedding != null ? ownEmbedding : embedding, ownOutput != null ? ownOutput : output);
        }
    }
}
