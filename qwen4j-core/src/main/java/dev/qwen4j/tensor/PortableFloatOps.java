package dev.qwen4j.tensor;

/** {@link FloatOps} in plain Java: the reference the Vector API version is tested against. */
public final class PortableFloatOps implements FloatOps {

    @Override
    public String name() {
        return "portable";
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        float s = 0;
        for (int i = 0; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    @Override
    public float sumOfSquares(float[] x, int off, int n) {
        float s = 0;
        for (int i = 0; i < n; i++) s += x[off + i] * x[off + i];
        return s;
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
    }

    @Override
    public void add(float[] y, int yOff, float[] x, int xOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] += x[xOff + i];
    }

    @Override
    public void scale(float[] x, int off, int n, float s) {
        for (int i = 0; i < n; i++) x[off + i] *= s;
    }

    @Override
    public void scaleMul(float[] x, int xOff, float s, float[] w, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) out[outOff + i] = x[xOff + i] * s * w[i];
    }

    @Override
    public void siluMul(float[] gate, int gOff, float[] up, int upOff, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[gOff + i];
            gate[gOff + i] = g / (1f + (float) Math.exp(-g)) * up[upOff + i];
        }
    }

    @Override
    public void sigmoidMul(float[] x, int xOff, float[] gate, int gOff, int n) {
        for (int i = 0; i < n; i++) x[xOff + i] /= 1f + (float) Math.exp(-gate[gOff + i]);
    }

    @Override
    public void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        float sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        scale(x, off, n, 1f / sum);
    }

    @Override
    public void convolveSilu(float[] x, int off, float[] state, float[] taps, int channels, int kernel, int from, int to) {
        int keep = kernel - 1;
        for (int ch = from; ch < to; ch++) {
            float input = x[off + ch];
            float sum = taps[keep * channels + ch] * input;
            for (int i = 0; i < keep; i++) sum += taps[i * channels + ch] * state[i * channels + ch];
            for (int i = 0; i + 1 < keep; i++) state[i * channels + ch] = state[(i + 1) * channels + ch];
            if (keep > 0) state[(keep - 1) * channels + ch] = input;
            x[off + ch] = sum / (1f + (float) Math.exp(-sum));
        }
    }

    /**
     * Column by column, with the old S read once: Sᵀk and Sᵀq of the old state give δ = β·(v − α·Sᵀk) and
     * o = α·Sᵀq + (k·q)·δ (the same o as reading the updated state), then the column is rewritten as α·S + k·δ.
     */
    @Override
    public void deltaRule(float[] state, int base, int dk, int dv, float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                          float beta, float decay, float[] out, int outOff) {
        float kq = dot(k, kOff, q, qOff, dk);
        for (int col = 0; col < dv; col++) {
            float sk = 0, sq = 0;
            for (int i = 0; i < dk; i++) {
                float s = state[base + i * dv + col];
                sk += s * k[kOff + i];
                sq += s * q[qOff + i];
            }
            float delta = beta * (v[vOff + col] - decay * sk);
            out[outOff + col] = decay * sq + kq * delta;
            for (int i = 0; i < dk; i++) {
                int p = base + i * dv + col;
                state[p] = state[p] * decay + k[kOff + i] * delta;
            }
        }
    }

    @Override
    public void quantizeQ8(float[] src, int from, int to, byte[] q, float[] qf, int[] qsum, float[] amaxOut) {
        for (int b = from; b < to; b++) {
            int base = 32 * b;
            float amax = 0;
            for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(src[base + i]));
            float id = amax != 0 ? 127f / amax : 0f;
            int sum = 0;
            for (int i = 0; i < 32; i++) {
                int v = (int) Math.rint(src[base + i] * id);
                q[base + i] = (byte) v;
                qf[base + i] = v;
                sum += v;
            }
            qsum[b] = sum;
            amaxOut[b] = amax;
        }
    }

    @Override
    public void quantizeQ8K(float[] src, int from, int to, byte[] q, float[] qf, int[] bsums, float[] d) {
        for (int b = from; b < to; b++) {
            int base = 256 * b;
            float max = 0;
            float amax = 0;
            for (int i = 0; i < 256; i++) {
                float ax = Math.abs(src[base + i]);
                if (ax > amax) {
                    amax = ax;
                    max = src[base + i];
                }
            }
            if (amax == 0) {
                FloatOps.zeroQ8KBlock(b, q, qf, bsums, d);
                continue;
            }
            float iscale = -127f / max;
            for (int g = 0; g < 16; g++) {
                int sum = 0;
                for (int i = base + 16 * g; i < base + 16 * g + 16; i++) {
                    int v = Math.min(127, (int) Math.rint(iscale * src[i]));
                    q[i] = (byte) v;
                    qf[i] = v;
                    sum += v;
                }
                bsums[16 * b + g] = sum;
            }
            d[b] = 1 / iscale;
        }
    }
}
