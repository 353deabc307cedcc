package dev.qwen4j.model.synthetic;

import dev.qwen4j.tensor.GgmlType;

/**
 * Encodes rows of floats as GGUF tensor bytes, for the synthetic models only. Knows F32, F16, BF16 and Q8_0
 * (QWEN_SPEC.md §1.3, §1.4); other quantized types need the kernels' quantizers.
 */
final class WeightEncoder {
    private WeightEncoder() {
    }

    static boolean canEncode(GgmlType type) {
        return type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.BF16 || type == GgmlType.Q8_0;
    }

    /** Writes {@code row} as {@code type.rowBytes(row.length)} bytes into {@code out[0..]}. */
    static void encodeRow(GgmlType type, float[] row, byte[] out) {
        int n = row.length;
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) putInt(out, 4 * i, Float.floatToRawIntBits(row[i]));
            }
            case F16 -> {
                for (int i = 0; i < n; i++) putShort(out, 2 * i, Float.floatToFloat16(row[i]));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) putShort(out, 2 * i, toBf16(row[i]));
            }
            case Q8_0 -> {
                // d = amax/127 stored as F16; q = round(x/d) (ggml's reference quantizer)
                for (int b = 0; b < n / 32; b++) {
                    float amax = 0;
                    for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(row[32 * b + i]));
                    float d = amax / 127f;
                    float id = d != 0 ? 1f / d : 0f;
                    int blk = 34 * b;
                    putShort(out, blk, Float.floatToFloat16(d));
                    for (int i = 0; i < 32; i++) out[blk + 2 + i] = (byte) Math.round(row[32 * b + i] * id);
                }
            }
            default -> throw new IllegalArgumentException("synthetic weights of type " + type + " are not available yet"
                    + " (supported: F32, F16, BF16, Q8_0)");
        }
    }

    /** Round to nearest even on the upper 16 bits. */
    private static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    private static void putShort(byte[] b, int off, short v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
    }

    private static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }
}
