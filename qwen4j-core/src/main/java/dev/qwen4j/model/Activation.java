package dev.qwen4j.model;

/** Scalar activations and gates (QWEN_SPEC.md §0). */
final class Activation {
    private Activation() {
    }

    static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }

    /** ln(1 + e^x), and x itself above 20 as ggml does. */
    static float softplus(float x) {
        return x > 20 ? x : (float) Math.log1p(Math.exp(x));
    }
}
