package dev.qwen4j.model;

import java.util.SplittableRandom;

/** Shared helpers of the model tests. */
final class ModelTesting {
    private ModelTesting() {
    }

    /** The plain greedy loop, one forward pass per token: what speculative decoding must reproduce. */
    static int[] plainGreedy(LanguageModel m, int[] prompt, int count) {
        ModelState s = m.newState(256);
        float[] logits = new float[m.vocabSize()];
        m.forward(s, prompt, 0, prompt.length, logits, false);
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = SpeculativeGreedy.argmax(logits, 0, logits.length);
            if (i + 1 < count) m.forward(s, out, i, 1, logits, false);
        }
        return out;
    }

    static int[] randomIds(long seed, int count, int vocab) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] ids = new int[count];
        for (int i = 0; i < count; i++) ids[i] = r.nextInt(vocab);
        return ids;
    }

    /** Every token's logits for the ids fed as one prompt. */
    static float[] promptLogits(LanguageModel m, ModelState s, int[] ids) {
        float[] out = new float[ids.length * m.vocabSize()];
        m.forward(s, ids, 0, ids.length, out, true);
        return out;
    }

    /** The ids fed one decode step at a time; every step's logits. */
    static float[] stepLogits(LanguageModel m, ModelState s, int[] ids) {
        int v = m.vocabSize();
        float[] out = new float[ids.length * v];
        float[] step = new float[v];
        for (int i = 0; i < ids.length; i++) {
            m.forward(s, ids, i, 1, step, false);
            System.arraycopy(step, 0, out, i * v, v);
        }
        return out;
    }

    static float[] concat(float[] a, float[] b) {
        float[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    static int[] concat(int[] a, int[] b) {
        int[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    /**
     * Same logits up to float noise (rel-L2 ≤ 1e-6 per row). Not bitwise: the Vector API kernels may sum in a
     * different order before and after JIT compilation, so two identical computations can differ in the last bit.
     */
    static void assertSameLogits(float[] expected, float[] actual, int vocab) {
        org.junit.jupiter.api.Assertions.assertEquals(expected.length, actual.length, "logit count");
        double e = maxRowRelL2(actual, expected, vocab);
        org.junit.jupiter.api.Assertions.assertTrue(e <= 1e-6, "logits differ: max row rel-L2 " + e);
    }

    /** Largest per-row rel-L2 between two [rows × vocab] arrays. */
    static double maxRowRelL2(float[] actual, float[] expected, int vocab) {
        double worst = 0;
        for (int r = 0; r < expected.length / vocab; r++) {
            worst = Math.max(worst, LogitMetrics.relL2(actual, r * vocab, expected, r * vocab, vocab));
        }
        return worst;
    }
}
