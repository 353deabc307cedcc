package dev.qwen4j.tensor.quant;

import java.lang.foreign.MemorySegment;

/**
 * IQ4_NL (QWEN_SPEC.md §1.4): 18-byte blocks of 32, {@code d: f16 | qs: u8[16]}; each nibble indexes the fixed
 * non-linear table {@link #VALUES}, {@code y = d·VALUES[nibble]} (low nibbles 0..15, high nibbles 16..31).
 */
public final class IQ4_NL {
    public static final int BLOCK = 32;
    public static final int BYTES = 18;
    /** The 16 levels, shared with IQ4_XS. */
    public static final byte[] VALUES = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    private IQ4_NL() {
    }

    public static void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        Bits.checkBlocks(n, BLOCK);
        for (int b = 0; b < n / BLOCK; b++) {
            long blk = off + (long) b * BYTES;
            float d = Bits.f16(src, blk);
            int o = dstOff + b * BLOCK;
            for (int j = 0; j < 16; j++) {
                int q = Bits.u8(src, blk + 2 + j);
                dst[o + j] = d * VALUES[q & 0x0F];
                dst[o + j + 16] = d * VALUES[q >>> 4];
            }
        }
    }

    public static float dot(MemorySegment w, long off, int blocks, Activations a, int aBlock) {
        byte[] q = a.q;
        float sum = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = off + (long) b * BYTES;
            int xq = (aBlock + b) * BLOCK;
            int isum = 0;
            for (int j = 0; j < 16; j++) {
                int v = Bits.u8(w, blk + 2 + j);
                isum += VALUES[v & 0x0F] * q[xq + j] + VALUES[v >>> 4] * q[xq + j + 16];
            }
            sum += Bits.f16(w, blk) * a.d[aBlock + b] * isum;
        }
        return sum;
    }
}
