package dev.qwen4j.tensor.quant;

/** The scale searches of ggml's reference K-quant quantizers (make_qkx2_quants, make_qx_quants), re-derived. */
final class KQuantFit {
    private KQuantFit() {
    }

    /**
     * Fits {@code x ≈ scale·L − min} with integer levels L in [0, nmax] for n values starting at x[xOff], minimizing
     * the weighted squared error; tries the plain min/max grid and {@code nstep+1} stretched grids, each refined
     * by least squares. Writes the levels to {@code levels[lOff..]}, the (positive) min to {@code minOut[0]} and
     * returns the scale.
     */
    static float scaleAndMin(int n, int nmax, float[] x, int xOff, float[] w, int[] levels, int lOff, float[] minOut,
                             float rmin, float rdelta, int nstep) {
        float min = x[xOff];
        float max = x[xOff];
        float sumW = w[0];
        float sumX = sumW * x[xOff];
        for (int i = 1; i < n; i++) {
            float v = x[xOff + i];
            if (v < min) min = v;
            if (v > max) max = v;
            sumW += w[i];
            sumX += w[i] * v;
        }
        if (min > 0) min = 0;
        if (max == min) {
            for (int i = 0; i < n; i++) levels[lOff + i] = 0;
            minOut[0] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = Math.clamp(Bits.nearestInt(iscale * (x[xOff + i] - min)), 0, nmax);
            levels[lOff + i] = l;
            float diff = scale * l + min - x[xOff + i];
            bestError += w[i] * diff * diff;
        }
        int[] trial = new int[n];
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.clamp(Bits.nearestInt(iscale * (x[xOff + i] - min)), 0, nmax);
                trial[i] = l;
                sumL += w[i] * l;
                sumL2 += w[i] * l * l;
                sumXL += w[i] * l * x[xOff + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float error = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * trial[i] + thisMin - x[xOff + i];
                    error += w[i] * diff * diff;
                }
                if (error < bestError) {
                    System.arraycopy(trial, 0, levels, lOff, n);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        minOut[0] = -min;
        return scale;
    }

    /**
     * Fits {@code x ≈ scale·(L − nmax)} with L in [0, 2·nmax) (symmetric, signed), weights x², trying 19 grids
     * around the one that maps the largest-magnitude value to −nmax. Writes levels (offset by nmax), returns scale.
     */
    static float signedScale(int n, int nmax, float[] x, int xOff, int[] levels, int lOff) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xOff + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xOff + i];
            }
        }
        if (amax < 1e-15f) {
            for (int i = 0; i < n; i++) levels[lOff + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        float sumLX = 0;
        float sumL2 = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            int l = Math.clamp(Bits.nearestInt(iscale * v), -nmax, nmax - 1);
            levels[lOff + i] = l + nmax;
            float w = v * v;
            sumLX += w * v * l;
            sumL2 += w * l * l;
        }
        float scale = sumL2 != 0 ? sumLX / sumL2 : 0;
        float best = scale * sumLX;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumLX = 0;
            sumL2 = 0;
            for (int i = 0; i < n; i++) {
                float v = x[xOff + i];
                int l = Math.clamp(Bits.nearestInt(iscale * v), -nmax, nmax - 1);
                float w = v * v;
                sumLX += w * v * l;
                sumL2 += w * l * l;
            }
            if (sumL2 > 0 && sumLX * sumLX > best * sumL2) {
                for (int i = 0; i < n; i++) {
                    levels[lOff + i] = nmax + Math.clamp(Bits.nearestInt(iscale * x[xOff + i]), -nmax, nmax - 1);
                }
                scale = sumLX / sumL2;
                best = scale * sumLX;
            }
        }
        return scale;
    }
}
