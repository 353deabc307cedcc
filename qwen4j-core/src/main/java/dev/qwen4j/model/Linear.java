package dev.qwen4j.model;

import dev.qwen4j.tensor.FloatOps;
import dev.qwen4j.tensor.Kernels;
import dev.qwen4j.tensor.Tensor;

/** {@code y = W·x (+ b)} for a batch of tokens, rows one after another; the arithmetic is all in {@link Kernels}. */
final class Linear {
    private static final FloatOps OPS = FloatOps.preferred();

    private Linear() {
    }

    /** out[t·rows ..] = W · x[t·in ..] for t in 0..tokens; a single token uses the mat-vec kernel (decode path). */
    static void project(Kernels kernels, Tensor w, float[] x, int tokens, float[] out) {
        if (tokens == 1) kernels.matvec(w, x, out);
        else kernels.matmul(w, x, tokens, out);
    }

    /** Several products of the same input in one pass of the kernel threads: {@code outs[i] = ws[i] · x}. */
    static void projectAll(Kernels kernels, Tensor[] ws, float[] x, int tokens, float[][] outs) {
        kernels.matmul(ws, x, tokens, outs);
    }

    static void addBias(float[] out, float[] bias, int tokens) {
        int n = bias.length;
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < n; i++) out[t * n + i] += bias[i];
        }
    }

    /** The residual add {@code h += delta} over {@code rows} rows of {@code width}; a prompt chunk's on the kernel threads. */
    static void addInPlace(Kernels kernels, float[] h, float[] delta, int rows, int width) {
        kernels.parallelFor(rows, Activations.ROW_GRAIN, (from, to) -> OPS.add(h, from * width, delta, from * width, (to - from) * width));
    }
}
