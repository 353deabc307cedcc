package dev.qwen4j.model;

/**
 * NEOX ("rotate-half") rotary embedding on the first {@code ropeDims} values of each head (QWEN_SPEC.md §2.3);
 * pairs (i, i + ropeDims/2). Angles are computed in fp64 per position and stored as fp32.
 */
final class Rope {
    private final int ropeDims;
    private final double[] inverseFrequency;

    Rope(int ropeDims, double theta) {
        this.ropeDims = ropeDims;
        int half = ropeDims / 2;
        inverseFrequency = new double[half];
        for (int i = 0; i < half; i++) inverseFrequency[i] = Math.pow(theta, -2.0 * i / ropeDims);
    }

    int half() {
        return ropeDims / 2;
    }

    /** cos/sin of every pair for {@code tokens} positions starting at {@code start}, row after row. */
    void angles(int start, int tokens, float[] cos, float[] sin) {
        int half = half();
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < half; i++) {
                double phi = (double) (start + t) * inverseFrequency[i];
                cos[t * half + i] = (float) Math.cos(phi);
                sin[t * half + i] = (float) Math.sin(phi);
            }
        }
    }

    /** Rotates the head vector at {@code x[off..]} with the angles of row {@code t} of the tables. */
    void rotate(float[] x, int off, float[] cos, float[] sin, int t) {
        int half = half();
        int cs = t * half;
        for (int i = 0; i < half; i++) {
            float x0 = x[off + i];
            float x1 = x[off + i + half];
            float c = cos[cs + i];
            float s = sin[cs + i];
            x[off + i] = x0 * c - x1 * s;
            x[off + i + half] = x0 * s + x1 * c;
        }
    }
}
