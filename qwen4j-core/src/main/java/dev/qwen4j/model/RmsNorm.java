package dev.qwen4j.model;

import dev.qwen4j.tensor.FloatOps;
import dev.qwen4j.tensor.Kernels;

/** RMSNorm (QWEN_SPEC.md §2.1): {@code y = x / sqrt(mean(x²) + eps) · w}, computed in fp32. */
final class RmsNorm {
    private static final FloatOps OPS = FloatOps.preferred();

    private RmsNorm() {
    }

    /** Normalises {@code n} values at {@code x[xOff..]} into {@code out[outOff..]} (may be the same place). */
    static void apply(float[] x, int xOff, float[] weight, float eps, float[] out, int outOff, int n) {
        OPS.scaleMul(x, xOff, inverseRms(x, xOff, n, eps), weight, out, outOff, n);
    }

    /** Each of {@code rows} consecutive vectors of length {@code weight.length}; a prompt chunk's on the kernel threads. */
    static void rows(Kernels kernels, float[] x, float[] weight, float eps, float[] out, int rows) {
        int n = weight.length;
        kernels.parallelFor(rows, Activations.ROW_GRAIN, (from, to) -> {
            for (int r = from; r < to; r++) apply(x, r * n, weight, eps, out, r * n, n);
        });
    }

    /**
     * Per-head norm (QK-norm): {@code count} heads of {@code weight.length} values, {@code stride} apart; a prompt
     * chunk's on the kernel threads.
     */
    static void heads(Kernels kernels, float[] x, int off, int count, int stride, float[] weight, float eps) {
        kernels.parallelFor(count, 4 * Activations.ROW_GRAIN, (from, to) -> {
            for (int h = from; h < to; h++) apply(x, off + h * stride, weight, eps, x, off + h * stride, weight.length);
        });
    }


    /**
     * The gated variant of the Gated DeltaNet output (§2.1): {@code RMSNorm(x; w) · silu(z)}, written into z
     * ({@code x} is normalised in place on the way).
     */
    static void gated(float[] x, int xOff, float[] weight, float eps, float[] z, int zOff, int n) {
        apply(x, xOff, weight, eps, x, xOff, n);
        OPS.siluMul(z, zOff, x, xOff, n);
    }

    private static float inverseRms(float[] x, int off, int n, float eps) {
        return (float) (1.0 / Math.sqrt(OPS.sumOfSquares(x, off, n) / n + eps));
    }
}
