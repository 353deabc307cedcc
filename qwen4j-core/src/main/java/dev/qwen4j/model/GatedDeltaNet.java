package dev.qwen4j.model;

import dev.qwen4j.tensor.FloatOps;
import dev.qwen4j.tensor.Kernels;
import dev.qwen4j.tensor.Tensor;

/**
 * The Qwen3.5 linear-attention block (QWEN_SPEC.md §4.6, with llama.cpp's choices from §11): projections,
 * causal depthwise conv + SiLU, L2-normalised q/k, the gated delta rule per value head, gated RMSNorm, output
 * projection. Prompt tokens are projected as a batch; the conv and the recurrence then run token by token.
 * {@code convTaps} are stored tap-major ({@code [tap][channel]}, transposed from the file) so that the conv runs
 * across channels in SIMD lanes.
 */
record GatedDeltaNet(DeltaNetConfig c, float rmsEps, Tensor qkv, Tensor outputGate, Tensor betaProj, Tensor alphaProj,
                     float[] convTaps, float[] dtBias, float[] decayRate, float[] norm, Tensor out) {
    private static final FloatOps OPS = FloatOps.preferred();

    /**
     * One layer's recurrent state: the last K−1 conv inputs per channel (row-major {@code [K−1][channels]}, oldest
     * row first) and one d_k × d_v matrix per value head.
     */
    static final class State {
        final float[] conv;
        final float[] recurrent;
        private final int channels;

        State(DeltaNetConfig c) {
            channels = c.convDim();
            conv = new float[c.convDim() * (c.convKernel() - 1)];
            recurrent = new float[c.valueHeads() * c.keyHeadDim() * c.valueHeadDim()];
        }

        /** The conv state per channel ({@code [channel][K−1]}, the saved-state layout), from or into {@link #conv}. */
        float[] convPerChannel() {
            int keep = conv.length / channels;
            float[] out = new float[conv.length];
            for (int i = 0; i < keep; i++) {
                for (int ch = 0; ch < channels; ch++) out[ch * keep + i] = conv[i * channels + ch];
            }
            return out;
        }

        void setConvPerChannel(float[] perChannel) {
            int keep = conv.length / channels;
            for (int i = 0; i < keep; i++) {
                for (int ch = 0; ch < channels; ch++) conv[i * channels + ch] = perChannel[ch * keep + i];
            }
        }

        void clear() {
            java.util.Arrays.fill(conv, 0f);
            java.util.Arrays.fill(recurrent, 0f);
        }
    }

    /**
     * What a short pass leaves behind so that it can be taken back to any of its tokens ({@link ModelState#keepTrail}):
     * the conv state before the pass, the pass's conv inputs, and the recurrent state after each token but the last
     * (the last one's is the layer's state itself).
     */
    static final class Trail {
        final int capacity;
        final float[] convBefore;
        final float[] inputs;
        final float[][] states;

        Trail(DeltaNetConfig c, int capacity) {
            this.capacity = capacity;
            convBefore = new float[c.convDim() * (c.convKernel() - 1)];
            inputs = new float[capacity * c.convDim()];
            states = new float[capacity - 1][c.valueHeads() * c.keyHeadDim() * c.valueHeadDim()];
        }

        long byteSize() {
            return 4L * (convBefore.length + inputs.length + (long) states.length * (states.length == 0 ? 0 : states[0].length));
        }

        /**
         * Takes {@code s} back to just after token {@code last} of the pass this trail recorded: the recurrent state
         * saved after that token, and the conv state made of the last K−1 of (the state before, inputs 0..last).
         */
        void rewind(State s, int last, int passTokens) {
            if (last >= passTokens - 1) return;
            System.arraycopy(states[last], 0, s.recurrent, 0, s.recurrent.length);
            int channels = s.channels;
            int keep = convBefore.length / channels;
            for (int row = 0; row < keep; row++) {
                int from = last + 1 + row;            // index into (convBefore rows, then inputs rows)
                if (from < keep) System.arraycopy(convBefore, from * channels, s.conv, row * channels, channels);
                else System.arraycopy(inputs, (from - keep) * channels, s.conv, row * channels, channels);
            }
        }
    }

    static GatedDeltaNet read(WeightReader w, String p, DeltaNetConfig c, int hidden, float eps) {
        int nv = c.valueHeads();
        return new GatedDeltaNet(c, eps,
                w.matrix(p + "attn_qkv.weight", hidden, c.convDim()),
                w.matrix(p + "attn_gate.weight", hidden, c.valueDim()),
                w.matrix(p + "ssm_beta.weight", hidden, nv),
                w.matrix(p + "ssm_alpha.weight", hidden, nv),
                tapMajor(w.smallMatrix(p + "ssm_conv1d.weight", c.convKernel(), c.convDim()), c.convDim(), c.convKernel()),
                w.vector(p + "ssm_dt.bias", nv),
                w.vector(p + "ssm_a", nv),                     // already −exp(A_log) in a GGUF
                w.vector(p + "ssm_norm.weight", c.valueHeadDim()),
                w.matrix(p + "ssm_out.weight", c.valueDim(), hidden));
    }

    /** The file's {@code [channel][tap]} conv weights as {@code [tap][channel]}. */
    static float[] tapMajor(float[] perChannel, int channels, int kernel) {
        float[] t = new float[perChannel.length];
        for (int ch = 0; ch < channels; ch++) {
            for (int i = 0; i < kernel; i++) t[i * channels + ch] = perChannel[ch * kernel + i];
        }
        return t;
    }

    /** Channels per work item of the convolution (a multiple of every SIMD width). */
    private static final int CONV_CHANNELS = 256;

    /**
     * Reads a.x (normalised input), writes a.y (block output), advances {@code s}; when {@code trail} is not null
     * (a pass of at most its capacity), records what {@link Trail#rewind} needs.
     */
    void forward(Kernels kernels, Activations a, int tokens, State s, Trail trail) {
        Linear.projectAll(kernels, new Tensor[] {qkv, outputGate, betaProj, alphaProj}, a.x, tokens,
                new float[][] {a.mix, a.z, a.beta, a.alpha});
        int convDim = c.convDim();
        if (trail != null) {
            System.arraycopy(s.conv, 0, trail.convBefore, 0, s.conv.length);
            System.arraycopy(a.mix, 0, trail.inputs, 0, tokens * convDim);
        }
        int nv = c.valueHeads();
        int dv = c.valueHeadDim();
        int dk = c.keyHeadDim();
        float queryScale = (float) (1.0 / Math.sqrt(dk));
        // Channels are independent through the convolution (each its own state) and (token, key head) pairs through
        // the normalisation: for a prompt chunk both run on the kernel threads, the tokens of a channel range in order.
        int kernel = c.convKernel();
        int ranges = (convDim + CONV_CHANNELS - 1) / CONV_CHANNELS;
        Kernels.RangeTask convolve = (from, to) -> {
            int chFrom = from * CONV_CHANNELS, chTo = Math.min(convDim, to * CONV_CHANNELS);
            OPS.convolveSiluTokens(a.mix, 0, convDim, tokens, s.conv, convTaps, convDim, kernel, chFrom, chTo);
        };
        int nk = c.keyHeads();
        Kernels.RangeTask normalise = (from, to) -> {
            for (int i = from; i < to; i++) {
                int row = (i / nk) * convDim, head = i % nk;
                l2Normalize(a.mix, row + head * dk, dk, queryScale);              // q̂, also × 1/√d_k
                l2Normalize(a.mix, row + c.keyDim() + head * dk, dk, 1f);         // k̂
            }
        };
        if (tokens == 1) {                                  // a decode step: too little work to hand off
            convolve.run(0, ranges);
            normalise.run(0, nk);
        } else {
            kernels.parallelFor(ranges, 1, convolve);
            kernels.parallelFor(tokens * nk, 1, normalise);
        }
        // Value heads are independent through the whole chunk: each runs its tokens in order on some thread, its
        // 64 KB state staying in cache from one token to the next. Tokens go through in pairs (one pass over the
        // state for two, FloatOps.deltaRule2), an odd last one alone; a pass keeping its trail goes token by token.
        kernels.parallelFor(nv, 1, trail != null ? (from, to) -> {
            for (int j = from; j < to; j++) recurTrailed(a, tokens, s, trail, j);
        } : (from, to) -> {
            float[] pair = tokens > 1 ? new float[2 * dv] : null;
            for (int j = from; j < to; j++) {
                int kappa = j % c.keyHeads();               // tiled value → key head order of qwen35 GGUFs (§4.8.2)
                int stateAt = j * dk * dv;
                int t = 0;
                for (; t + 2 <= tokens; t += 2) {
                    int qa = t * convDim + kappa * dk, qb = qa + convDim;
                    int va = t * convDim + 2 * c.keyDim() + j * dv;
                    OPS.deltaRule2(s.recurrent, stateAt, dk, dv, a.mix, qa, qa + c.keyDim(), va, beta(a, t, j), decay(a, t, j),
                            qb, qb + c.keyDim(), va + convDim, beta(a, t + 1, j), decay(a, t + 1, j), pair, 0, dv);
                    RmsNorm.gated(pair, 0, norm, rmsEps, a.z, t * c.valueDim() + j * dv, dv);
                    RmsNorm.gated(pair, dv, norm, rmsEps, a.z, (t + 1) * c.valueDim() + j * dv, dv);
                }
                for (; t < tokens; t++) step(a, t, j, s.recurrent);
            }
        });
        Linear.project(kernels, out, a.z, tokens, a.y);
    }

    /**
     * Value head j over the pass one token at a time, token t's state going to the trail (the last token's to the
     * layer's state): each step copies the previous state where it is written and updates it there.
     */
    private void recurTrailed(Activations a, int tokens, State s, Trail trail, int j) {
        int dk = c.keyHeadDim(), dv = c.valueHeadDim();
        int at = j * dk * dv;
        float[] from = s.recurrent;
        for (int t = 0; t < tokens; t++) {
            float[] to = t == tokens - 1 ? s.recurrent : trail.states[t];
            if (to != from) System.arraycopy(from, at, to, at, dk * dv);
            step(a, t, j, to);
            from = to;
        }
    }

    /** Token t through value head j's state in {@code state}: the delta rule, then the gated norm into a.z. */
    private void step(Activations a, int t, int j, float[] state) {
        int convDim = c.convDim();
        int dk = c.keyHeadDim(), dv = c.valueHeadDim();
        int qOff = t * convDim + (j % c.keyHeads()) * dk;
        int vOff = t * convDim + 2 * c.keyDim() + j * dv;
        OPS.deltaRule(state, j * dk * dv, dk, dv, a.mix, qOff, a.mix, qOff + c.keyDim(), a.mix, vOff, beta(a, t, j), decay(a, t, j),
                a.headOut, j * dv);
        RmsNorm.gated(a.headOut, j * dv, norm, rmsEps, a.z, t * c.valueDim() + j * dv, dv);
    }

    /** β of value head j at token t: the sigmoid of its projection. */
    private float beta(Activations a, int t, int j) {
        return Activation.sigmoid(a.beta[t * c.valueHeads() + j]);
    }

    /** α (the decay) of value head j at token t: exp(softplus(projection + dt bias)·A), A = −exp(A_log) in a GGUF. */
    private float decay(Activations a, int t, int j) {
        return (float) Math.exp(Activation.softplus(a.alpha[t * c.valueHeads() + j] + dtBias[j]) * decayRate[j]);
    }

    /** x ← x / max(‖x‖, 1e-6) · scale: llama.cpp's L2 norm (§11.3; HF puts the eps inside the root instead). */
    static void l2Normalize(float[] x, int off, int n, float scale) {
        float inv = scale / Math.max((float) Math.sqrt(OPS.sumOfSquares(x, off, n)), 1e-6f);
        OPS.scale(x, off, n, inv);
    }
}
