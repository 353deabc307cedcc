package dev.qwen4j.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A named, typed view of tensor bytes — usually a slice of a memory-mapped GGUF file, never a heap copy.
 * {@code shape} is in ggml order: {@code shape[0]} is the contiguous row length (a linear layer's input
 * dimension); the product of the remaining dimensions is the number of rows (its output dimension).
 */
public record Tensor(String name, GgmlType type, long[] shape, MemorySegment data) {

    public Tensor {
        shape = shape.clone();
    }

    /** Length of one row: {@code shape[0]}. */
    public int rowLength() {
        return Math.toIntExact(shape[0]);
    }

    /** Number of rows: the product of {@code shape[1..]}. */
    public long rows() {
        long r = 1;
        for (int i = 1; i < shape.length; i++) r *= shape[i];
        return r;
    }

    public long elementCount() {
        return shape[0] * rows();
    }

    public long rowBytes() {
        return type.rowBytes(shape[0]);
    }

    public long byteSize() {
        return rowBytes() * rows();
    }

    /** The shape as "AxB" in ggml order, for messages and tables. */
    public String shapeString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) sb.append('x');
            sb.append(shape[i]);
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && name.equals(t.name) && type == t.type && Arrays.equals(shape, t.shape)
                && data.equals(t.data);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + type + " [" + shapeString() + "]";
    }
}
