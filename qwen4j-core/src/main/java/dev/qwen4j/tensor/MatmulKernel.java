package dev.qwen4j.tensor;

import dev.qwen4j.tensor.quant.Activations;

/**
 * One implementation of the weight products (portable Java or Vector API), chosen once by {@link Kernels}.
 * Implementations are stateless and thread-safe: several threads call {@link #multiply} on disjoint row ranges.
 */
public interface MatmulKernel extends AutoCloseable {

    /**
     * {@code out[b·rows + r] = Σ_c W[r][c]·x_b[c]} for rows {@code r ∈ [rowFrom, rowTo)} and every vector
     * {@code b < a.batch}, where {@code x_b} is already converted as {@link Activations#kindFor} prescribes.
     */
    void multiply(Tensor w, Activations a, float[] out, int rowFrom, int rowTo);

    /**
     * Called once per weight matrix when a model loads, before any product with it: a kernel may keep a copy of
     * the weights in a layout of its own (see the Vector API kernels' row-interleaved 4-bit copies) and use it
     * from then on. Thread-safe; preparing a tensor twice is harmless. Returns the bytes of memory it took.
     * {@code parallel} runs work on the kernels' threads.
     */
    default long prepare(Tensor w, Parallel parallel) {
        return 0;
    }

    /** Runs {@code task} over {@code [0, count)} split across threads; returns when all of it is done. */
    @FunctionalInterface
    interface Parallel {
        void run(int count, Kernels.RangeTask task);
    }

    /** Frees whatever {@link #prepare} allocated; the kernel must not be used afterwards. */
    @Override
    default void close() {
    }

    /** A short name for logs and benchmarks ("portable", "vector-512"). */
    String name();
}
