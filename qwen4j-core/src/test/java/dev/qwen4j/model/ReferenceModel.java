package dev.qwen4j.model;

import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The test oracle: Qwen2 / Qwen3 / Qwen3.5 written straight from QWEN_SPEC.md §2–4 and §11 in double precision,
 * one token at a time, with its own weight decoding (F32, F16, BF16, Q8_0; other types via the kernels'
 * dequantizer) and no {@code Kernels} products, threads or
 * batching. Slow and small-model only, on purpose.
 */
final class ReferenceModel implements AutoCloseable {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final GgufFile gguf;
    private final String arch;
    private final int hidden, layers, heads, kvHeads, headDim, ropeDims, vocab;
    private final double theta, eps;
    // Gated DeltaNet (qwen35)
    private final int nk, nv, dk, dv, convK, interval;
    private final List<List<double[]>> kCache = new ArrayList<>(), vCache = new ArrayList<>();
    private final double[][][] convState;     // [layer][channel][K-1]
    private final double[][][][] ssmState;    // [layer][value head][dk][dv]
    private int position;
    /** The final-normalised hidden state of the latest token, and how many entries the MTP block's cache holds. */
    private double[] lastHidden;
    private int draftEntries;

    ReferenceModel(Path path) throws IOException {
        gguf = GgufFile.open(path);
        arch = gguf.architecture();
        String k = arch + ".";
        hidden = gguf.getInt(k + "embedding_length");
        layers = gguf.getInt(k + "block_count") - gguf.getInt(k + "nextn_predict_layers", 0);
        heads = gguf.getInt(k + "attention.head_count");
        kvHeads = gguf.getInt(k + "attention.head_count_kv");
        headDim = gguf.getInt(k + "attention.key_length", hidden / heads);
        ropeDims = gguf.getInt(k + "rope.dimension_count", headDim);
        theta = gguf.getDouble(k + "rope.freq_base", 10000);
        eps = gguf.getDouble(k + "attention.layer_norm_rms_epsilon", 1e-6);
        vocab = gguf.getStringArray("tokenizer.ggml.tokens").length;
        boolean hybrid = arch.equals("qwen35");
        nk = hybrid ? gguf.getInt(k + "ssm.group_count") : 0;
        nv = hybrid ? gguf.getInt(k + "ssm.time_step_rank") : 0;
        dk = hybrid ? gguf.getInt(k + "ssm.state_size") : 0;
        dv = hybrid ? gguf.getInt(k + "ssm.inner_size") / nv : 0;
        convK = hybrid ? gguf.getInt(k + "ssm.conv_kernel") : 0;
        interval = hybrid ? gguf.getInt(k + "full_attention_interval") : 1;
        convState = new double[layers][2 * nk * dk + nv * dv][Math.max(convK - 1, 0)];
        ssmState = new double[layers][nv][dk][dv];
        for (int l = 0; l <= layers; l++) {           // one more: the MTP block's
            kCache.add(new ArrayList<>());
            vCache.add(new ArrayList<>());
        }
    }

    int vocab() {
        return vocab;
    }

    /** Feeds one token at the next position; returns its logits. */
    double[] next(int token) {
        double[] h = row(t("token_embd.weight"), token);
        for (int l = 0; l < layers; l++) {
            String p = "blk." + l + ".";
            double[] x = rmsNorm(h, vec(p + "attn_norm.weight"));
            double[] y;
            if (arch.equals("qwen35")) y = (l + 1) % interval == 0 ? gatedAttention(l, p, x) : gatedDeltaNet(l, p, x);
            else y = attention(l, p, x);
            add(h, y);
            add(h, feedForward(p, rmsNorm(h, vec(p + (arch.equals("qwen35") ? "post_attention_norm.weight" : "ffn_norm.weight")))));
        }
        position++;
        double[] out = rmsNorm(h, vec("output_norm.weight"));
        lastHidden = out;
        Tensor head = gguf.findTensor("output.weight").orElse(t("token_embd.weight"));
        return matvec(head, out);
    }

    /**
     * §4.9, the MTP block (layer L) on the latest token's final-normalised hidden state and the token after it:
     * u = eh_proj · [RMSNorm(embed(next); enorm) | RMSNorm(h; hnorm)], one gated-attention layer on its own cache
     * (RoPE at its entry count, the hidden state's position when every position got an entry), then
     * RMSNorm(shared_head_norm) and the output head. Returns the logits of the token after {@code next}.
     */
    double[] draft(int next) {
        String p = "blk." + layers + ".";
        double[] e = row(gguf.findTensor(p + "nextn.embed_tokens.weight").orElse(t("token_embd.weight")), next);
        double[] a = rmsNorm(e, vec(p + "nextn.enorm.weight")), b = rmsNorm(lastHidden, vec(p + "nextn.hnorm.weight"));
        double[] x = new double[2 * hidden];
        System.arraycopy(a, 0, x, 0, hidden);
        System.arraycopy(b, 0, x, hidden, hidden);
        double[] h = matvec(t(p + "nextn.eh_proj.weight"), x);
        int saved = position;
        position = draftEntries++;
        add(h, gatedAttention(layers, p, rmsNorm(h, vec(p + "attn_norm.weight"))));
        position = saved;
        add(h, feedForward(p, rmsNorm(h, vec(p + "post_attention_norm.weight"))));
        Tensor head = gguf.findTensor(p + "nextn.shared_head_head.weight")
                .orElse(gguf.findTensor("output.weight").orElse(t("token_embd.weight")));
        return matvec(head, rmsNorm(h, vec(p + "nextn.shared_head_norm.weight")));
    }

    /** §2.2: SwiGLU, W_down · (silu(W_gate·x) ⊙ W_up·x). */
    private double[] feedForward(String p, double[] x) {
        double[] g = matvec(t(p + "ffn_gate.weight"), x), u = matvec(t(p + "ffn_up.weight"), x);
        for (int i = 0; i < g.length; i++) g[i] = silu(g[i]) * u[i];
        return matvec(t(p + "ffn_down.weight"), g);
    }

    /** §3.1: Qwen2 (biases) / Qwen3 (QK-norm) attention. */
    private double[] attention(int l, String p, double[] x) {
        double[] q = matvec(t(p + "attn_q.weight"), x), k = matvec(t(p + "attn_k.weight"), x), v = matvec(t(p + "attn_v.weight"), x);
        if (arch.equals("qwen2")) {
            add(q, vec(p + "attn_q.bias"));
            add(k, vec(p + "attn_k.bias"));
            add(v, vec(p + "attn_v.bias"));
        } else {
            headNorm(q, heads, headDim, vec(p + "attn_q_norm.weight"));
            headNorm(k, kvHeads, headDim, vec(p + "attn_k_norm.weight"));
        }
        double[] o = attend(l, q, headDim, k, v);
        return matvec(t(p + "attn_output.weight"), o);
    }

    /** §4.4: q_proj gives per head [q | gate]; QK-norm; partial RoPE; GQA; × sigmoid(gate). */
    private double[] gatedAttention(int l, String p, double[] x) {
        double[] qg = matvec(t(p + "attn_q.weight"), x);
        double[] q = new double[heads * headDim], gate = new double[heads * headDim];
        for (int h = 0; h < heads; h++) {
            System.arraycopy(qg, 2 * h * headDim, q, h * headDim, headDim);
            System.arraycopy(qg, 2 * h * headDim + headDim, gate, h * headDim, headDim);
        }
        double[] k = matvec(t(p + "attn_k.weight"), x), v = matvec(t(p + "attn_v.weight"), x);
        headNorm(q, heads, headDim, vec(p + "attn_q_norm.weight"));
        headNorm(k, kvHeads, headDim, vec(p + "attn_k_norm.weight"));
        double[] o = attend(l, q, headDim, k, v);
        for (int i = 0; i < o.length; i++) o[i] *= sigmoid(gate[i]);
        return matvec(t(p + "attn_output.weight"), o);
    }

    /** §2.3 RoPE on q and k, append to the cache, §2.4 causal GQA over every cached position. */
    private double[] attend(int l, double[] q, int hd, double[] k, double[] v) {
        for (int h = 0; h < heads; h++) rope(q, h * hd);
        for (int h = 0; h < kvHeads; h++) rope(k, h * hd);
        kCache.get(l).add(k);
        vCache.get(l).add(v);
        int n = kCache.get(l).size();
        double[] o = new double[heads * hd];
        int group = heads / kvHeads;
        for (int h = 0; h < heads; h++) {
            int kv = (h / group) * hd;
            double[] s = new double[n];
            double max = Double.NEGATIVE_INFINITY;
            for (int tau = 0; tau < n; tau++) {
                double dot = 0;
                for (int i = 0; i < hd; i++) dot += q[h * hd + i] * kCache.get(l).get(tau)[kv + i];
                s[tau] = dot / Math.sqrt(hd);
                max = Math.max(max, s[tau]);
            }
            double sum = 0;
            for (int tau = 0; tau < n; tau++) sum += (s[tau] = Math.exp(s[tau] - max));
            for (int tau = 0; tau < n; tau++) {
                for (int i = 0; i < hd; i++) o[h * hd + i] += s[tau] / sum * vCache.get(l).get(tau)[kv + i];
            }
        }
        return o;
    }

    private void rope(double[] x, int off) {
        int half = ropeDims / 2;
        for (int i = 0; i < half; i++) {
            double phi = position * Math.pow(theta, -2.0 * i / ropeDims);
            double a = x[off + i], b = x[off + i + half];
            x[off + i] = a * Math.cos(phi) - b * Math.sin(phi);
            x[off + i + half] = a * Math.sin(phi) + b * Math.cos(phi);
        }
    }

    /** §4.6.1 with §11: conv + SiLU, L2 norm (x / max(‖x‖, 1e-6)), gated delta rule, gated RMSNorm, out_proj. */
    private double[] gatedDeltaNet(int l, String p, double[] x) {
        double[] mix = matvec(t(p + "attn_qkv.weight"), x);
        double[] z = matvec(t(p + "attn_gate.weight"), x);
        double[] b = matvec(t(p + "ssm_beta.weight"), x);
        double[] a = matvec(t(p + "ssm_alpha.weight"), x);
        double[] taps = vec(p + "ssm_conv1d.weight");
        double[] dtBias = vec(p + "ssm_dt.bias"), ssmA = vec(p + "ssm_a"), normW = vec(p + "ssm_norm.weight");
        double[] u = new double[mix.length];
        for (int c = 0; c < mix.length; c++) {
            double[] st = convState[l][c];
            double s = taps[c * convK + convK - 1] * mix[c];
            for (int i = 0; i < convK - 1; i++) s += taps[c * convK + i] * st[i];
            for (int i = 0; i + 1 < convK - 1; i++) st[i] = st[i + 1];
            if (convK > 1) st[convK - 2] = mix[c];
            u[c] = silu(s);
        }
        int keyDim = nk * dk;
        double[] out = new double[nv * dv];
        for (int j = 0; j < nv; j++) {
            int kh = j % nk;
            double[] q = l2(u, kh * dk, dk), k = l2(u, keyDim + kh * dk, dk);
            for (int i = 0; i < dk; i++) q[i] /= Math.sqrt(dk);
            double[] v = new double[dv];
            System.arraycopy(u, 2 * keyDim + j * dv, v, 0, dv);
            double beta = sigmoid(b[j]);
            double g = softplus(a[j] + dtBias[j]) * ssmA[j];
            double[][] S = ssmState[l][j];
            for (double[] r : S) for (int c = 0; c < dv; c++) r[c] *= Math.exp(g);
            double[] delta = new double[dv];
            for (int c = 0; c < dv; c++) {
                double m = 0;
                for (int i = 0; i < dk; i++) m += S[i][c] * k[i];
                delta[c] = beta * (v[c] - m);
            }
            for (int i = 0; i < dk; i++) for (int c = 0; c < dv; c++) S[i][c] += k[i] * delta[c];
            double[] o = new double[dv];
            for (int c = 0; c < dv; c++) for (int i = 0; i < dk; i++) o[c] += S[i][c] * q[i];
            double[] on = rmsNorm(o, normW);
            for (int c = 0; c < dv; c++) out[j * dv + c] = on[c] * silu(z[j * dv + c]);
        }
        return matvec(t(p + "ssm_out.weight"), out);
    }

    private static double[] l2(double[] x, int off, int n) {
        double ss = 0;
        for (int i = 0; i < n; i++) ss += x[off + i] * x[off + i];
        double norm = Math.max(Math.sqrt(ss), 1e-6);
        double[] r = new double[n];
        for (int i = 0; i < n; i++) r[i] = x[off + i] / norm;
        return r;
    }

    private double[] rmsNorm(double[] x, double[] w) {
        double ss = 0;
        for (double v : x) ss += v * v;
        double scale = 1 / Math.sqrt(ss / x.length + eps);
        double[] r = new double[x.length];
        for (int i = 0; i < x.length; i++) r[i] = x[i] * scale * w[i];
        return r;
    }

    private void headNorm(double[] x, int count, int hd, double[] w) {
        for (int h = 0; h < count; h++) {
            double[] part = new double[hd];
            System.arraycopy(x, h * hd, part, 0, hd);
            System.arraycopy(rmsNorm(part, w), 0, x, h * hd, hd);
        }
    }

    private static void add(double[] h, double[] y) {
        for (int i = 0; i < h.length; i++) h[i] += y[i];
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    private static double silu(double x) {
        return x * sigmoid(x);
    }

    private static double softplus(double x) {
        return x > 20 ? x : Math.log1p(Math.exp(x));
    }

    private Tensor t(String name) {
        return gguf.tensor(name);
    }

    private double[] vec(String name) {
        Tensor t = t(name);
        double[] r = new double[Math.toIntExact(t.elementCount())];
        for (long row = 0; row < t.rows(); row++) System.arraycopy(row(t, row), 0, r, (int) (row * t.rowLength()), t.rowLength());
        return r;
    }

    private static double[] matvec(Tensor w, double[] x) {
        double[] out = new double[Math.toIntExact(w.rows())];
        for (int r = 0; r < out.length; r++) {
            double[] row = row(w, r);
            double s = 0;
            for (int c = 0; c < row.length; c++) s += row[c] * x[c];
            out[r] = s;
        }
        return out;
    }

    /** QWEN_SPEC.md §1.3–1.4 decoding, independent of the engine's kernels. */
    static double[] row(Tensor w, long r) {
        int n = w.rowLength();
        MemorySegment seg = w.data();
        long base = r * w.rowBytes();
        double[] out = new double[n];
        switch (w.type()) {
            case F32 -> { for (int i = 0; i < n; i++) out[i] = seg.get(F32, base + 4L * i); }
            case F16 -> { for (int i = 0; i < n; i++) out[i] = Float.float16ToFloat(seg.get(I16, base + 2L * i)); }
            case BF16 -> { for (int i = 0; i < n; i++) out[i] = Float.intBitsToFloat((seg.get(I16, base + 2L * i) & 0xFFFF) << 16); }
            case Q8_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    long blk = base + 34L * b;
                    double d = Float.float16ToFloat(seg.get(I16, blk));
                    for (int i = 0; i < 32; i++) out[32 * b + i] = d * seg.get(ValueLayout.JAVA_BYTE, blk + 2 + i);
                }
            }
            default -> {
                // Other block formats: the kernels' decoder (tested bit-exactly against ggml by the kernel tests).
                float[] f = new float[n];
                dev.qwen4j.tensor.quant.RowCodec.dequantize(w.type(), seg, base, f, 0, n);
                for (int i = 0; i < n; i++) out[i] = f[i];
            }
        }
        return out;
    }

    @Override
    public void close() {
        gguf.close();
    }
}
