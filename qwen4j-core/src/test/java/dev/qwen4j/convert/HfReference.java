package dev.qwen4j.convert;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The oracle for conversions: Qwen2 / Qwen3 / Qwen3.5 in double precision, one token at a time, straight from
 * QWEN_SPEC.md §2–4 in Hugging Face conventions, on the checkpoint's own tensors — PyTorch shapes and names,
 * Qwen3.5 norms applied as {@code (1 + w)} (except the gated DeltaNet norm), {@code A_log} exponentiated here,
 * conv taps {@code [channels, 1, K]}, and value head {@code j} reading key head {@code ⌊j / r⌋} (grouped order).
 * Nothing of the converter is used, so a wrong rename, fold or reorder shows up as different logits.
 */
final class HfReference {
    private final HfFixture.Shape s;
    private final Map<String, double[]> w;
    private final String m;
    private final double eps = 1e-6;
    private final boolean qwen35;
    private final List<List<double[]>> keys = new ArrayList<>(), vals = new ArrayList<>();
    private final double[][][] conv;      // [layer][channel][K-1] pre-activation inputs
    private final double[][][][] state;   // [layer][value head][d_k][d_v]
    private int position;

    HfReference(HfFixture.Checkpoint checkpoint) {
        this.s = checkpoint.shape();
        this.w = checkpoint.values();
        this.m = s.prefix();
        this.qwen35 = s.arch().equals("qwen35");
        int convDim = qwen35 ? 2 * s.keyHeads() * s.stateDim() + s.valueHeads() * s.stateDim() : 0;
        conv = new double[s.layers()][convDim][Math.max(s.convKernel() - 1, 0)];
        state = new double[s.layers()][s.valueHeads()][s.stateDim()][s.stateDim()];
        for (int l = 0; l < s.layers(); l++) {
            keys.add(new ArrayList<>());
            vals.add(new ArrayList<>());
        }
    }

    double[] next(int token) {
        int h = s.hidden();
        double[] x = new double[h];
        System.arraycopy(w.get(m + "embed_tokens.weight"), token * h, x, 0, h);
        for (int l = 0; l < s.layers(); l++) {
            String p = m + "layers." + l + ".";
            double[] n = norm(x, p + "input_layernorm.weight", qwen35);
            double[] y;
            if (!qwen35) y = attention(l, p + "self_attn.", n);
            else if (s.isFullAttention(l)) y = gatedAttention(l, p + "self_attn.", n);
            else y = gatedDeltaNet(l, p + "linear_attn.", n);
            add(x, y);
            n = norm(x, p + "post_attention_layernorm.weight", qwen35);
            double[] g = linear(p + "mlp.gate_proj.weight", n), u = linear(p + "mlp.up_proj.weight", n);
            for (int i = 0; i < g.length; i++) g[i] = silu(g[i]) * u[i];
            add(x, linear(p + "mlp.down_proj.weight", g));
        }
        position++;
        double[] out = norm(x, m + "norm.weight", qwen35);
        return linear(s.tied() ? m + "embed_tokens.weight" : "lm_head.weight", out);
    }

    /** §3.1: biases (Qwen2) or per-head QK RMSNorm (Qwen3), full NEOX RoPE, GQA. */
    private double[] attention(int l, String p, double[] x) {
        double[] q = linear(p + "q_proj.weight", x), k = linear(p + "k_proj.weight", x), v = linear(p + "v_proj.weight", x);
        if (s.arch().equals("qwen2")) {
            add(q, w.get(p + "q_proj.bias"));
            add(k, w.get(p + "k_proj.bias"));
            add(v, w.get(p + "v_proj.bias"));
        } else {
            perHeadNorm(q, s.heads(), p + "q_norm.weight", false);
            perHeadNorm(k, s.kvHeads(), p + "k_norm.weight", false);
        }
        return linear(p + "o_proj.weight", attend(l, q, k, v));
    }

    /** §4.4: per head [query | gate] in q_proj, zero-centred QK norms, partial RoPE, output × σ(gate). */
    private double[] gatedAttention(int l, String p, double[] x) {
        int d = s.headDim();
        double[] qg = linear(p + "q_proj.weight", x);
        double[] q = new double[s.heads() * d], gate = new double[s.heads() * d];
        for (int hd = 0; hd < s.heads(); hd++) {
            System.arraycopy(qg, 2 * hd * d, q, hd * d, d);
            System.arraycopy(qg, 2 * hd * d + d, gate, hd * d, d);
        }
        double[] k = linear(p + "k_proj.weight", x), v = linear(p + "v_proj.weight", x);
        perHeadNorm(q, s.heads(), p + "q_norm.weight", true);
        perHeadNorm(k, s.kvHeads(), p + "k_norm.weight", true);
        double[] o = attend(l, q, k, v);
        for (int i = 0; i < o.length; i++) o[i] /= 1 + Math.exp(-gate[i]);
        return linear(p + "o_proj.weight", o);
    }

    private double[] attend(int l, double[] q, double[] k, double[] v) {
        int d = s.headDim();
        for (int hd = 0; hd < s.heads(); hd++) rope(q, hd * d);
        for (int hd = 0; hd < s.kvHeads(); hd++) rope(k, hd * d);
        keys.get(l).add(k);
        vals.get(l).add(v);
        int n = keys.get(l).size(), group = s.heads() / s.kvHeads();
        double[] o = new double[s.heads() * d];
        for (int hd = 0; hd < s.heads(); hd++) {
            int kv = hd / group * d;
            double[] score = new double[n];
            double max = Double.NEGATIVE_INFINITY;
            for (int t = 0; t < n; t++) {
                double dot = 0;
                for (int i = 0; i < d; i++) dot += q[hd * d + i] * keys.get(l).get(t)[kv + i];
                score[t] = dot / Math.sqrt(d);
                max = Math.max(max, score[t]);
            }
            double sum = 0;
            for (int t = 0; t < n; t++) sum += score[t] = Math.exp(score[t] - max);
            for (int t = 0; t < n; t++) for (int i = 0; i < d; i++) o[hd * d + i] += score[t] / sum * vals.get(l).get(t)[kv + i];
        }
        return o;
    }

    /** §2.3 rotate-half over the first n_rot components. */
    private void rope(double[] x, int off) {
        int half = s.ropeDims() / 2;
        for (int i = 0; i < half; i++) {
            double phi = position * Math.pow(s.theta(), -2.0 * i / s.ropeDims());
            double a = x[off + i], b = x[off + i + half];
            x[off + i] = a * Math.cos(phi) - b * Math.sin(phi);
            x[off + i + half] = a * Math.sin(phi) + b * Math.cos(phi);
        }
    }

    /** §4.6.1 in HF form: grouped value heads, rsqrt(Σx² + ε) L2 norm, g = −exp(A_log)·softplus(a + dt_bias). */
    private double[] gatedDeltaNet(int l, String p, double[] x) {
        int nk = s.keyHeads(), nv = s.valueHeads(), dk = s.stateDim(), dv = s.stateDim(), kernel = s.convKernel();
        int keyDim = nk * dk, r = nv / nk;
        double[] mix = linear(p + "in_proj_qkv.weight", x), z = linear(p + "in_proj_z.weight", x);
        double[] b = linear(p + "in_proj_b.weight", x), a = linear(p + "in_proj_a.weight", x);
        double[] taps = w.get(p + "conv1d.weight"), aLog = w.get(p + "A_log"), dtBias = w.get(p + "dt_bias");
        double[] u = new double[mix.length];
        for (int c = 0; c < mix.length; c++) {
            double[] st = conv[l][c];
            double sum = taps[c * kernel + kernel - 1] * mix[c];
            for (int i = 0; i < kernel - 1; i++) sum += taps[c * kernel + i] * st[i];
            System.arraycopy(st, 1, st, 0, kernel - 2);
            st[kernel - 2] = mix[c];
            u[c] = silu(sum);
        }
        double[] out = new double[nv * dv];
        for (int j = 0; j < nv; j++) {
            int kh = j / r;
            double[] q = l2(u, kh * dk, dk), k = l2(u, keyDim + kh * dk, dk);
            for (int i = 0; i < dk; i++) q[i] /= Math.sqrt(dk);
            double beta = 1 / (1 + Math.exp(-b[j]));
            double g = -Math.exp(aLog[j]) * softplus(a[j] + dtBias[j]);
            double[][] S = state[l][j];
            for (double[] row : S) for (int c = 0; c < dv; c++) row[c] *= Math.exp(g);
            double[] delta = new double[dv];
            for (int c = 0; c < dv; c++) {
                double mem = 0;
                for (int i = 0; i < dk; i++) mem += S[i][c] * k[i];
                delta[c] = beta * (u[2 * keyDim + j * dv + c] - mem);
            }
            for (int i = 0; i < dk; i++) for (int c = 0; c < dv; c++) S[i][c] += k[i] * delta[c];
            double[] o = new double[dv];
            for (int c = 0; c < dv; c++) for (int i = 0; i < dk; i++) o[c] += S[i][c] * q[i];
            double[] on = rms(o, w.get(p + "norm.weight"), false);
            for (int c = 0; c < dv; c++) out[j * dv + c] = on[c] * silu(z[j * dv + c]);
        }
        return linear(p + "out_proj.weight", out);
    }

    private static double[] l2(double[] x, int off, int n) {
        double ss = 0;
        for (int i = 0; i < n; i++) ss += x[off + i] * x[off + i];
        double inv = 1 / Math.sqrt(ss + 1e-6);
        double[] r = new double[n];
        for (int i = 0; i < n; i++) r[i] = x[off + i] * inv;
        return r;
    }

    private double[] norm(double[] x, String weight, boolean zeroCentred) {
        return rms(x, w.get(weight), zeroCentred);
    }

    /** §2.1: plain {@code x̂·w} or zero-centred {@code x̂·(1 + w)}. */
    private double[] rms(double[] x, double[] weight, boolean zeroCentred) {
        double ss = 0;
        for (double v : x) ss += v * v;
        double scale = 1 / Math.sqrt(ss / x.length + eps);
        double[] r = new double[x.length];
        for (int i = 0; i < x.length; i++) r[i] = x[i] * scale * (zeroCentred ? 1 + weight[i] : weight[i]);
        return r;
    }

    private void perHeadNorm(double[] x, int heads, String weight, boolean zeroCentred) {
        int d = s.headDim();
        for (int hd = 0; hd < heads; hd++) {
            double[] part = new double[d];
            System.arraycopy(x, hd * d, part, 0, d);
            System.arraycopy(rms(part, w.get(weight), zeroCentred), 0, x, hd * d, d);
        }
    }

    /** {@code W·x} for a PyTorch [out, in] weight. */
    private double[] linear(String name, double[] x) {
        double[] weight = w.get(name);
        if (weight == null) throw new IllegalArgumentException("no tensor " + name);
        int in = x.length, out = weight.length / in;
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double sum = 0;
            for (int i = 0; i < in; i++) sum += weight[o * in + i] * x[i];
            y[o] = sum;
        }
        return y;
    }

    private static void add(double[] a, double[] b) {
        for (int i = 0; i < a.length; i++) a[i] += b[i];
    }

    private static double silu(double x) {
        return x / (1 + Math.exp(-x));
    }

    private static double softplus(double x) {
        return x > 20 ? x : Math.log1p(Math.exp(x));
    }
}
