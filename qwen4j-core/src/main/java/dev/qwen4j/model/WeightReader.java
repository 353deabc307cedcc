package dev.qwen4j.model;

import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.tensor.Kernels;
import dev.qwen4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Fetches a model's tensors from a GGUF file, checking each one's presence, type and shape as it is asked for,
 * so that a model constructor fails before the first forward pass with a message naming the tensor.
 * Matrices stay mapped views of the file; only small vectors (norms, biases, conv taps) become float[].
 */
final class WeightReader {
    /** Types a weight matrix may have: everything {@link Kernels} multiplies (activation-only types excluded). */
    static final Set<GgmlType> MATRIX_TYPES = EnumSet.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16,
            GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0,
            GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS);
    /** Types a small vector may have (it is converted to float[] once). */
    static final Set<GgmlType> VECTOR_TYPES = EnumSet.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16);

    private final GgufFile gguf;
    /** Every matrix handed out for products, in order: what {@link Kernels#prepare} gets once the model is built. */
    private final List<Tensor> products = new ArrayList<>();
    private final Kernels kernels;

    WeightReader(GgufFile gguf, Kernels kernels) {
        this.gguf = gguf;
        this.kernels = kernels;
    }

    boolean has(String name) {
        return gguf.findTensor(name).isPresent();
    }

    /** A linear layer's weight: {@code out} rows of {@code in} values (ggml shape [in, out]). */
    Tensor matrix(String name, long in, long out) {
        return product(table(name, in, out));
    }

    /** A matrix only looked up by row (an embedding): checked like {@link #matrix}, but not prepared for products. */
    Tensor table(String name, long in, long out) {
        Tensor t = checked(name, in, out);
        if (!MATRIX_TYPES.contains(t.type())) {
            throw new InvalidModelException("tensor " + name + ": type " + t.type() + " cannot be used as a weight matrix");
        }
        return t;
    }

    /** Marks {@code t} as multiplied with (e.g. a table that is also the tied output head). */
    Tensor product(Tensor t) {
        products.add(t);
        return t;
    }

    List<Tensor> products() {
        return List.copyOf(products);
    }

    /** A 1-D vector of length n (norm weight, bias, per-head scalar), as floats. */
    float[] vector(String name, long n) {
        return floats(checked(name, n));
    }

    /** A small 2-D float tensor (e.g. conv taps [kernel, channels]), as floats, row after row. */
    float[] smallMatrix(String name, long in, long out) {
        return floats(checked(name, in, out));
    }

    private float[] floats(Tensor t) {
        if (!VECTOR_TYPES.contains(t.type())) {
            throw new InvalidModelException("tensor " + t.name() + ": expected F32, F16 or BF16, file has " + t.type());
        }
        return kernels.toFloats(t);
    }

    private Tensor checked(String name, long... shape) {
        Tensor t = gguf.findTensor(name).orElseThrow(() -> new InvalidModelException(
                "tensor " + name + ": missing from " + gguf.source() + " (needed by architecture " + gguf.architecture() + ")"));
        if (!sameShape(t.shape(), shape)) {
            throw new InvalidModelException("tensor " + name + ": expected " + shapeString(shape) + ", file has " + t.shapeString());
        }
        return t;
    }

    /** Equal up to trailing 1s, which ggml writers may or may not include. */
    private static boolean sameShape(long[] actual, long[] expected) {
        int n = Math.max(actual.length, expected.length);
        for (int i = 0; i < n; i++) {
            long a = i < actual.length ? actual[i] : 1;
            long e = i < expected.length ? expected[i] : 1;
            if (a != e) return false;
        }
        return true;
    }

    private static String shapeString(long[] shape) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < shape.length; i++) sb.append(i > 0 ? "x" : "").append(shape[i]);
        return sb.toString();
    }
}
