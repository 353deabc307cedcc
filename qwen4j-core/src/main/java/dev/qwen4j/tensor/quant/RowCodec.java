package dev.qwen4j.tensor.quant;

import dev.qwen4j.tensor.GgmlType;

import java.lang.foreign.MemorySegment;

/** Row-level dequantization and quantization for every supported {@link GgmlType}, by dispatch to the type's class. */
public final class RowCodec {
    private RowCodec() {
    }

    /** Decodes {@code n} elements starting at byte {@code off} of {@code src} into {@code dst[dstOff ..]}. */
    public static void dequantize(GgmlType type, MemorySegment src, long off, float[] dst, int dstOff, int n) {
        switch (type) {
            case F32 -> Floats.dequantizeF32(src, off, dst, dstOff, n);
            case F16 -> Floats.dequantizeF16(src, off, dst, dstOff, n);
            case BF16 -> Floats.dequantizeBF16(src, off, dst, dstOff, n);
            case Q8_0 -> Q8_0.dequantize(src, off, dst, dstOff, n);
            case Q4_0 -> Q4_0.dequantize(src, off, dst, dstOff, n);
            case Q4_1 -> Q4_1.dequantize(src, off, dst, dstOff, n);
            case Q5_0 -> Q5_0.dequantize(src, off, dst, dstOff, n);
            case Q5_1 -> Q5_1.dequantize(src, off, dst, dstOff, n);
            case IQ4_NL -> IQ4_NL.dequantize(src, off, dst, dstOff, n);
            case Q2_K -> Q2_K.dequantize(src, off, dst, dstOff, n);
            case Q3_K -> Q3_K.dequantize(src, off, dst, dstOff, n);
            case Q4_K -> Q4_K.dequantize(src, off, dst, dstOff, n);
            case Q5_K -> Q5_K.dequantize(src, off, dst, dstOff, n);
            case Q6_K -> Q6_K.dequantize(src, off, dst, dstOff, n);
            case IQ4_XS -> IQ4_XS.dequantize(src, off, dst, dstOff, n);
            default -> throw new UnsupportedOperationException("tensor type " + type + " is not supported");
        }
    }

    /** True if {@link #quantize} can write this type. */
    public static boolean canQuantize(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K -> true;
            default -> false;
        };
    }

    /** Encodes {@code n} floats from {@code x[xOff ..]} as {@code type} at byte {@code off} of {@code dst}. */
    public static void quantize(GgmlType type, float[] x, int xOff, int n, MemorySegment dst, long off) {
        switch (type) {
            case F32 -> Floats.quantizeF32(x, xOff, n, dst, off);
            case F16 -> Floats.quantizeF16(x, xOff, n, dst, off);
            case BF16 -> Floats.quantizeBF16(x, xOff, n, dst, off);
            case Q8_0 -> Q8_0.quantize(x, xOff, n, dst, off);
            case Q4_0 -> Q4_0.quantize(x, xOff, n, dst, off);
            case Q4_K -> Q4_K.quantize(x, xOff, n, dst, off);
            case Q6_K -> Q6_K.quantize(x, xOff, n, dst, off);
            default -> throw new UnsupportedOperationException("cannot quantize to " + type
                    + " (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K)");
        }
    }

    /** A whole {@code rows × n} matrix (rows one after another) quantized into a new byte array. */
    public static byte[] quantize(GgmlType type, float[] x, int n, int rows) {
        long rowBytes = type.rowBytes(n);
        byte[] out = new byte[Math.toIntExact(rowBytes * rows)];
        MemorySegment seg = MemorySegment.ofArray(out);
        for (int r = 0; r < rows; r++) quantize(type, x, r * n, n, seg, r * rowBytes);
        return out;
    }
}
