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
        for (int t = 0; t < tokens; t++) {
            convolve(a.mix, t * convDim, s.conv);
            normalizeQueriesAndKeys(a.mix, t * convDim);
            for (int j = 0; j < nv; j++) {
                float beta = Activation.sigmoid(a.beta[t * nv + j]);
                float decay = (float) Math.exp(Activation.softplus(a.alpha[t * nv + j] + dtBias[j]) * decayRate[j]);
                int kappa = j % c.keyHeads();               // tiled value → key head order of qwen35 GGUFs (§4.8.2)
                int qOff = t * convDim + kappa * c.keyHeadDim();
                int kOff = qOff + c.keyDim();
                int vOff = t * convDim + 2 * c.keyDim() + j * dv;
                deltaRule(s.recurrent, j, a.mix, qOff, kOff, vOff, beta, decay, a.headOut);
                RmsNorm.gated(a.headOut, 0, norm, rmsEps, a.z, t * c.valueDim() + j * dv, dv);
            }
        }
        Linear.project(kernels, out, a.z, tokens, a.y);
    }

    /**
     * Causal depthwise conv over [state, new] then SiLU, in place on one token's channels; the state keeps the
     * last K−1 pre-conv inputs, oldest first (§4.6.1 step 2, §11.4).
     */
    void convolve(float[] mix, int off, float[] state) {
        int kernel = c.convKernel();
        int keep = kernel - 1;
        for (int ch = 0; ch < c.convDim(); ch++) {
            float input = mix[off + ch];
            int taps = ch * kernel;
            int st = ch * keep;
            float sum = convTaps[taps + keep] * input;
            for (int i = 0; i < keep; i++) sum += convTaps[taps + i] * state[st + i];
            for (int i = 0; i + 1 < keep; i++) state[st + i] = state[st + i + 1];
            if (keep > 0) state[st + keep - 1] = input;
            mix[off + ch] = Activation.silu(sum);
        }
    }

    /** q, k ← x / max(‖x‖, 1e-6) per key head (llama.cpp, §11.3); q also × 1/√d_k. */
    private void normalizeQueriesAndKeys(float[] mix, int off) {
        int dk = c.keyHeadDim();
        float queryScale = (float) (1.0 / Math.sqrt(dk));
        for (int head = 0; head < 2 * c.keyHeads(); head++) {
            int o = off + head * dk;
            float ss = 0;
            for (int i = 0; i < dk; i++) ss += mix[o + i] * mix[o + i];
            float inv = 1f / Math.max((float) Math.sqrt(ss), 1e-6f);
            if (head < c.keyHeads()) inv *= queryScale;
            for (int i = 0; i < dk; i++) mix[o + i] *= inv;
        }
    }

    /**
     * One token of the gated delta rule for value head j (§4.6.1 step 8): S ← α·S; δ = β·(v − Sᵀk); S ← S + k·δᵀ;
     * o = Sᵀq. S is d_k × d_v, row = key index.
     */
    private void deltaRule(float[] recurrent, int j, float[] mix, int qOff, int kOff, int vOff, float beta, float decay,
                           float[] o) {
        int dk = c.keyHeadDim();
        int dv = c.valueHeadDim();
        int base = j * dk * dv;
        java.util.Arrays.fill(o, 0f);               // o first holds Sᵀk (the memory's prediction for k)
        for (int i = 0; i < dk; i++) {
            int row = base + i * dv;
            float ki = mix[kOff + i];
            for (int col = 0; col < dv; col++) {
                recurrent[row + col] *= decay;
                o[col] += recurrent[row + col] * ki;
            }
        }
        for (int col = 0; col < dv; col++) o[col] = beta * (mix[vOff + col] - o[col]);   // δ
        for (int i = 0; i < dk; i++) {
            int row = base + i * dv;
            float ki = mix[kOff + i];
            for (int col = 0; col < dv; col++) recurrent[row + col] += ki * o[col];
        }
        java.util.Arrays.fill(o, 0f);
        for (int i = 0; i < dk; i++) {
            int row = base + i * dv;
            float qi = mix[qOff + i];
            for (int col = 0; col < dv; col++) o[col] += recurrent[row + col] * qi;
        }
    }
}
