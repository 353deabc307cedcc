package dev.qwen4j.tensor;

import dev.qwen4j.tensor.quant.Activations;
import dev.qwen4j.tensor.quant.Floats;
import dev.qwen4j.tensor.quant.IQ4_NL;
import dev.qwen4j.tensor.quant.IQ4_XS;
import dev.qwen4j.tensor.quant.Q2_K;
import dev.qwen4j.tensor.quant.Q3_K;
import dev.qwen4j.tensor.quant.Q4_0;
import dev.qwen4j.tensor.quant.Q4_1;
import dev.qwen4j.tensor.quant.Q4_K;
import dev.qwen4j.tensor.quant.Q5_0;
import dev.qwen4j.tensor.quant.Q5_1;
import dev.qwen4j.tensor.quant.Q5_K;
import dev.qwen4j.tensor.quant.Q6_K;
import dev.qwen4j.tensor.quant.Q8_0;

import java.lang.foreign.MemorySegment;

/**
 * The reference kernels in plain Java: each row's dot product is the weight type's own {@code dot} (integer sums
 * per block against quantized activations). Uses no Vector API class, so it runs where that module is absent.
 */
final class PortableMatmul implements MatmulKernel {

    @Override
    public void multiply(Tensor w, Activations a, float[] out, int rowFrom, int rowTo) {
        int rows = Math.toIntExact(w.rows());
        int n = a.n;
        long rowBytes = w.rowBytes();
        MemorySegment seg = w.data();
        GgmlType type = w.type();
        int blocks = n / type.blockSize;
        for (int r = rowFrom; r < rowTo; r++) {
            long off = r * rowBytes;
            for (int b = 0; b < a.batch; b++) {
                int ab = b * blocks;
                out[b * rows + r] = switch (type) {
                    case F32 -> Floats.dotF32(seg, off, n, a.x, b * n);
                    case F16 -> Floats.dotF16(seg, off, n, a.x, b * n);
                    case BF16 -> Floats.dotBF16(seg, off, n, a.x, b * n);
                    case Q8_0 -> Q8_0.dot(seg, off, blocks, a, ab);
                    case Q4_0 -> Q4_0.dot(seg, off, blocks, a, ab);
                    case Q4_1 -> Q4_1.dot(seg, off, blocks, a, ab);
                    case Q5_0 -> Q5_0.dot(seg, off, blocks, a, ab);
                    case Q5_1 -> Q5_1.dot(seg, off, blocks, a, ab);
                    case IQ4_NL -> IQ4_NL.dot(seg, off, blocks, a, ab);
                    case Q2_K -> Q2_K.dot(seg, off, blocks, a, ab);
                    case Q3_K -> Q3_K.dot(seg, off, blocks, a, ab);
                    case Q4_K -> Q4_K.dot(seg, off, blocks, a, ab);
                    case Q5_K -> Q5_K.dot(seg, off, blocks, a, ab);
                    case Q6_K -> Q6_K.dot(seg, off, blocks, a, ab);
                    case IQ4_XS -> IQ4_XS.dot(seg, off, blocks, a, ab);
                    default -> throw new UnsupportedOperationException("tensor " + w.name() + ": no kernel for " + type);
                };
            }
        }
    }

    @Override
    public String name() {
        return "portable";
    }
}
