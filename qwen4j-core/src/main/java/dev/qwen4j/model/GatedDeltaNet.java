package dev.qwen4j.model;

import dev.qwen4j.tensor.Kernels;
import dev.qwen4j.tensor.Tensor;

/**
 * The Qwen3.5 linear-attention block (QWEN_SPEC.md §4.6, with llama.cpp's choices from §11): projections,
 * causal depthwise conv + SiLU, L2-normalised q/k, the gated delta rule per value head, gated RMSNorm, output
 * projection. Prompt tokens are projected as a batch; the conv and the recurrence then run token by token.
 */
record GatedDeltaNet(DeltaNetConfig c, float rmsEps, Tensor qkv, Tensor outputGate, Tensor betaProj, Tensor alphaProj,
                     float[] convTaps, float[] dtBias, float[] decayRate, float[] norm, Tensor out) {

    /** One layer's recurrent state: the last K−1 conv inputs per channel and one d_k × d_v matrix per value head. */
    static final class State {
        final float[] conv;
        final float[] recurrent;

        State(DeltaNetConfig c) {
            conv = new float[c.convDim() * (c.convKernel() - 1)];
            recurrent = new float[c.valueHeads() * c.keyHeadDim() * c.valueHeadDim()];
        }

        void clear() {
            java.util.Arrays.fill(conv, 0f);
            java.util.Arrays.fill(recurrent, 0f);
        }
    }

    static GatedDeltaNet read(WeightReader w, String p, DeltaNetConfig c, int hidden, float eps) {
        int nv = c.valueHeads();
        return new GatedDeltaNet(c, eps,
                w.matrix(p + "attn_qkv.weight", hidden, c.convDim()),
                w.matrix(p + "attn_gate.weight", hidden, c.valueDim()),
                w.matrix(p + "ssm_beta.weight", hidden, nv),
                w.matrix(p + "ssm_alpha.weight", hidden, nv),
                w.smallMatrix(p + "ssm_conv1d.weight", c.convKernel(), c.convDim()),
                w.vector(p + "ssm_dt.bias", nv),
                w.vector(p + "ssm_a", nv),                     // already −exp(A_log) in a GGUF
                w.vector(p + "ssm_norm.weight", c.valueHeadDim()),
                w.matrix(p + "ssm_out.weight", c.valueDim(), hidden));
    }

    /** Reads a.x (normalised input), writes a.y (block output), advances {@code s}. */
    void forward(Kernels kernels, Activations a, int tokens, State s) {
        Linear.project(kernels, qkv, a.x, tokens, a.mix);
        Linear.project(kernels, outputGate, a.x, tokens, a.z);
        Linear.project(kernels, betaProj, a.x, tokens, a.beta);
        Linear.project(kernels, alphaProj, a.x, tokens, a.alpha);
        int convDim = c.convDim();
        int nv = c.valueHeads();
        int dv = c.valueHeadDim();
        int dk = c.keyHeadDim();
        float queryScale = (float) (1.0 / Math.sqrt(dk));
        for (int t = 0; t < tokens; t++) {
            int row = t * convDim;
            convolve(a.mix, row, s.conv, convTaps, convDim, c.convKernel());
            for (int head = 0; head < c.keyHeads(); head++) {
                l2Normalize(a.mix, row + head * dk, dk, queryScale);              // q̂, also × 1/√d_k
                l2Normalize(a.mix, row + c.keyDim() + head * dk, dk, 1f);         // k̂
            }
        }
        // Value heads are independent through the whole chunk: each runs its tokens in order on some thread.
        kernels.parallelFor(nv, 1, (from, to) -> {
            for (int j = from; j < to; j++) {
                int kappa = j % c.keyHeads();               // tiled value → key head order of qwen35 GGUFs (§4.8.2)
                for (int t = 0; t < tokens; t++) {
                    int row = t * convDim;
                    float beta = Activation.sigmoid(a.beta[t * nv + j]);
                    float decay = (float) Math.exp(Activation.softplus(a.alpha[t * nv + j] + dtBias[j]) * decayRate[j]);
                    int qOff = row + kappa * dk;
                    int kOff = qOff + c.keyDim();
                    int vOff = row + 2 * c.keyDim() + j * dv;
                    deltaRule(s.recurrent, j * dk * dv, dk, dv, a.mix, qOff, kOff, vOff, beta, decay, a.headDelta, a.headOut, j * dv);
                    RmsNorm.gated(a.headOut, j * dv, norm, rmsEps, a.z, t * c.valueDim() + j * dv, dv);
                }
            }
        });
        Linear.project(kernels, out, a.z, tokens, a.y);
    }

    /**
     * Causal depthwise conv over [state, new] then SiLU, in place on one token's {@code channels} values; taps are
     * {@code kernel} per channel, the last one multiplies the new input; the state keeps the last K−1 pre-conv
     * inputs, oldest first (§4.6.1 step 2, §11.4).
     */
    static void convolve(float[] mix, int off, float[] state, float[] taps, int channels, int kernel) {
        int keep = kernel - 1;
        for (int ch = 0; ch < channels; ch++) {
            float input = mix[off + ch];
            int t = ch * kernel;
            int st = ch * keep;
            float sum = taps[t + keep] * input;
            for (int i = 0; i < keep; i++) sum += taps[t + i] * state[st + i];
            for (int i = 0; i + 1 < keep; i++) state[st + i] = state[st + i + 1];
            if (keep > 0) state[st + keep - 1] = input;
            mix[off + ch] = Activation.silu(sum);
        }
    }

    /** x ← x / max(‖x‖, 1e-6) · scale: llama.cpp's L2 norm (§11.3; HF puts the eps inside the root instead). */
    static void l2Normalize(float[] x, int off, int n, float scale) {
        float ss = 0;
        for (int i = 0; i < n; i++) ss += x[off + i] * x[off + i];
        float inv = scale / Math.max((float) Math.sqrt(ss), 1e-6f);
        for (int i = 0; i < n; i++) x[off + i] *= inv;
    }

    /**
     * One token of the gated delta rule for one value head (§4.6.1 step 8, §11.1): S ← α·S; δ = β·(v − Sᵀk̂);
     * S ← S + k̂·δᵀ; o = Sᵀq̂. S is d_k × d_v at {@code state[base..]}, row = key index. Two passes over S: decay
     * with the read of Sᵀk̂, then the write fused with the read of Sᵀq̂. δ and o use {@code [off, off + d_v)} of
     * their buffers.
     */
    static void deltaRule(float[] state, int base, int dk, int dv, float[] qkv, int qOff, int kOff, int vOff, float beta,
                          float decay, float[] delta, float[] o, int off) {
        java.util.Arrays.fill(delta, off, off + dv, 0f);   // first Sᵀk̂ (what the memory predicts for k̂), then δ
        for (int i = 0; i < dk; i++) {
            int row = base + i * dv;
            float ki = qkv[kOff + i];
            for (int col = 0; col < dv; col++) {
                float sv = state[row + col] * decay;
                state[row + col] = sv;
                delta[off + col] += sv * ki;
            }
        }
        for (int col = 0; col < dv; col++) delta[off + col] = beta * (qkv[vOff + col] - delta[off + col]);
        java.util.Arrays.fill(o, off, off + dv, 0f);
        for (int i = 0; i < dk; i++) {
            int row = base + i * dv;
            float ki = qkv[kOff + i];
            float qi = qkv[qOff + i];
            for (int col = 0; col < dv; col++) {
                float sv = state[row + col] + ki * delta[off + col];
                state[row + col] = sv;
                o[off + col] += sv * qi;
            }
        }
    }

}
