package dev.qwen4j.tensor.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Little-endian field reads and writes inside quantization blocks, and the rounding rules ggml uses. */
final class Bits {
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Bits() {
    }

    static float f16(MemorySegment s, long off) {
        return Float.float16ToFloat(s.get(I16, off));
    }

    static void putF16(MemorySegment s, long off, float v) {
        s.set(I16, off, Float.floatToFloat16(v));
    }

    static int u8(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_BYTE, off) & 0xFF;
    }

    static int i8(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_BYTE, off);
    }

    static void put8(MemorySegment s, long off, int v) {
        s.set(ValueLayout.JAVA_BYTE, off, (byte) v);
    }

    /** ggml's {@code nearest_int}: round half to even (exact for |v| < 2^22). */
    static int nearestInt(float v) {
        return (int) Math.rint(v);
    }

    /** C's {@code roundf}: round half away from zero. */
    static int roundAway(float v) {
        double a = Math.floor(Math.abs((double) v) + 0.5);
        return (int) (v < 0 ? -a : a);
    }

    static void checkBlocks(int n, int block) {
        if (n % block != 0) throw new IllegalArgumentException("row length " + n + " is not a multiple of " + block);
    }
}
