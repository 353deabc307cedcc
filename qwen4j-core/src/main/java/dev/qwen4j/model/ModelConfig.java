package dev.qwen4j.model;

/**
 * Hyperparameters shared by every Qwen decoder, read from GGUF metadata only (QWEN_SPEC.md §3.3, §4.1).
 * {@code layers} excludes Qwen3.5 MTP blocks; {@code ropeDims} is the rotated width of each head (≤ headDim).
 */
public record ModelConfig(String architecture, int vocabSize, int contextLength, int hidden, int layers, int ffn,
                          int heads, int kvHeads, int headDim, int ropeDims, double ropeTheta, float rmsEps) {

    public ModelConfig {
        require(hidden > 0 && layers > 0 && ffn > 0 && vocabSize > 0, "hidden, layers, feed_forward_length and vocabulary must be positive");
        require(heads > 0 && kvHeads > 0 && heads % kvHeads == 0,
                "head_count " + heads + " must be a positive multiple of head_count_kv " + kvHeads);
        require(headDim > 0 && ropeDims > 0 && ropeDims % 2 == 0 && ropeDims <= headDim,
                "rope.dimension_count " + ropeDims + " must be even and at most the head width " + headDim);
        require(contextLength > 0, "context_length must be positive");
        require(Double.isFinite(ropeTheta) && ropeTheta > 0, "rope.freq_base must be a positive number, file has " + ropeTheta);
        require(Float.isFinite(rmsEps) && rmsEps > 0, "attention.layer_norm_rms_epsilon must be a positive number, file has " + rmsEps);
    }

    /** Query heads per KV head (GQA group size). */
    public int groupSize() {
        return heads / kvHeads;
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    static void require(boolean ok, String message) {
        if (!ok) throw new InvalidModelException("invalid hyperparameters: " + message);
    }
}
