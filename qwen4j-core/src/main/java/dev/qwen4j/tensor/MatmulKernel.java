package dev.qwen4j.tensor;

import dev.qwen4j.tensor.quant.Activations;

/**
 * One implementation of the weight products (portable Java or Vector API), chosen once by {@link Kernels}.
 * Implementations are stateless and thread-safe: several threads call {@link #multiply} on disjoint row ranges.
 */
public interface MatmulKernel {

    /**
     * {@code out[b·rows + r] = Σ_c W[r][c]·x_b[c]} for rows {@code r ∈ [rowFrom, rowTo)} and every vector
     * {@code b < a.batch}, where {@code x_b} is already converted as {@link Activations#kindFor} prescribes.
     */
    void multiply(Tensor w, Activations a, float[] out, int rowFrom, int rowTo);

    /** A short name for logs and benchmarks ("portable", "vector-512"). */
    String name();
}
