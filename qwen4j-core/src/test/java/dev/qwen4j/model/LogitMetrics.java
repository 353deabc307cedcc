package dev.qwen4j.model;

/** Comparisons of logit rows used by the model tests. */
final class LogitMetrics {
    private LogitMetrics() {
    }

    /** ‖actual − expected‖₂ / ‖expected‖₂. */
    static double relL2(float[] actual, int aOff, float[] expected, int eOff, int n) {
        double num = 0, den = 0;
        for (int i = 0; i < n; i++) {
            double d = actual[aOff + i] - expected[eOff + i];
            num += d * d;
            den += (double) expected[eOff + i] * expected[eOff + i];
        }
        return Math.sqrt(num / den);
    }

    static double relL2(float[] actual, float[] expected) {
        return relL2(actual, 0, expected, 0, expected.length);
    }

    /** Index of the largest value, ties to the lowest index (llama.cpp's greedy rule). */
    static int argmax(float[] x, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (x[off + i] > x[off + best]) best = i;
        return best;
    }

    /** Largest minus second largest. */
    static double topGap(float[] x, int off, int n) {
        int best = argmax(x, off, n);
        float second = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) if (i != best && x[off + i] > second) second = x[off + i];
        return x[off + best] - second;
    }
}
