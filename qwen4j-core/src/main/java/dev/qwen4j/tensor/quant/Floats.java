package dev.qwen4j.tensor.quant;

import java.lang.foreign.MemorySegment;

/** The unquantized element types F32, F16 and BF16 (QWEN_SPEC.md §1.3). */
public final class Floats {
    private Floats() {
    }

    public static void dequantizeF32(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        MemorySegment.copy(src, Bits.F32, off, dst, dstOff, n);
    }

    public static void dequantizeF16(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) dst[dstOff + i] = Float.float16ToFloat(src.get(Bits.I16, off + 2L * i));
    }

    public static void dequantizeBF16(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) dst[dstOff + i] = bf16ToFloat(src.get(Bits.I16, off + 2L * i));
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Round to nearest even, NaN kept quiet (ggml's fp32→bf16). */
    public static short floatToBf16(float v) {
        int u = Float.floatToRawIntBits(v);
        if ((u & 0x7fffffff) > 0x7f800000) return (short) ((u >>> 16) | 64);
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }

    public static float roundToF16(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }

    public static float roundToBf16(float v) {
        return bf16ToFloat(floatToBf16(v));
    }

    public static void quantizeF16(float[] x, int xOff, int n, MemorySegment dst, long off) {
        for (int i = 0; i < n; i++) dst.set(Bits.I16, off + 2L * i, Float.floatToFloat16(x[xOff + i]));
    }

    public static void quantizeBF16(float[] x, int xOff, int n, MemorySegment dst, long off) {
        for (int i = 0; i < n; i++) dst.set(Bits.I16, off + 2L * i, floatToBf16(x[xOff + i]));
    }

    public static void quantizeF32(float[] x, int xOff, int n, MemorySegment dst, long off) {
        MemorySegment.copy(x, xOff, dst, Bits.F32, off, n);
    }

    /** Σ w·x over n F32 weights (x as given). */
    public static float dotF32(MemorySegment w, long off, int n, float[] x, int xOff) {
        float sum = 0;
        for (int i = 0; i < n; i++) sum += w.get(Bits.F32, off + 4L * i) * x[xOff + i];
        return sum;
    }

    /** Σ w·x over n F16 weights; x has already been rounded to F16 (ggml's F16 vec_dot_type). */
    public static float dotF16(MemorySegment w, long off, int n, float[] x, int xOff) {
        float sum = 0;
        for (int i = 0; i < n; i++) sum += Float.float16ToFloat(w.get(Bits.I16, off + 2L * i)) * x[xOff + i];
        return sum;
    }

    /** Σ w·x over n BF16 weights; x has already been rounded to BF16. */
    public static float dotBF16(MemorySegment w, long off, int n, float[] x, int xOff) {
        float sum = 0;
        for (int i = 0; i < n; i++) sum += bf16ToFloat(w.get(Bits.I16, off + 2L * i)) * x[xOff + i];
        return sum;
    }
}
