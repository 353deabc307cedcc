package dev.qwen4j.model;

/**
 * Qwen3.5 Gated DeltaNet hyperparameters (QWEN_SPEC.md §4.1): {@code keyHeads} n_k (ssm.group_count),
 * {@code valueHeads} n_v (ssm.time_step_rank), head widths d_k (ssm.state_size) and d_v (ssm.inner_size / n_v),
 * the causal conv kernel length, and the full-attention interval of the layer schedule (§4.2).
 */
public record DeltaNetConfig(int keyHeads, int valueHeads, int keyHeadDim, int valueHeadDim, int convKernel,
                             int fullAttentionInterval) {

    public DeltaNetConfig {
        ModelConfig.require(keyHeads > 0 && valueHeads > 0 && valueHeads % keyHeads == 0,
                "ssm.time_step_rank " + valueHeads + " must be a positive multiple of ssm.group_count " + keyHeads);
        ModelConfig.require(keyHeadDim > 0 && valueHeadDim > 0, "ssm.state_size and ssm.inner_size must be positive");
        ModelConfig.require(convKernel >= 1, "ssm.conv_kernel must be at least 1");
        ModelConfig.require(fullAttentionInterval >= 1, "full_attention_interval must be at least 1");
    }

    public int keyDim() {
        return keyHeads * keyHeadDim;
    }

    public int valueDim() {
        return valueHeads * valueHeadDim;
    }

    /** Channels of the causal convolution: q, k and v side by side. */
    public int convDim() {
        return 2 * keyDim() + valueDim();
    }

    /** §4.2: layer i is full (gated) attention when (i + 1) is a multiple of the interval. */
    public boolean isFullAttention(int layer) {
        return (layer + 1) % fullAttentionInterval == 0;
    }
}
