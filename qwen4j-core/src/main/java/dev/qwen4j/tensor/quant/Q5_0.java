package dev.qwen4j.tensor.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q5_0 (QWEN_SPEC.md §1.4): 22-byte blocks of 32, {@code d: f16 | qh: u32 | qs: u8[16]}; element j's fifth bit
 * is bit j of qh, {@code y = (q5 − 16)·d}.
 */
public final class Q5_0 {
    public static final int BLOCK = 32;
    public static final int BYTES = 22;

    private Q5_0() {
    }

    public static void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        Bits.checkBlocks(n, BLOCK);
        for (int b = 0; b < n / BLOCK; b++) {
            long blk = off + (long) b * BYTES;
            float d = Bits.f16(src, blk);
            int qh = src.get(Bits.I32, blk + 2);
            int o = dstOff + b * BLOCK;
            for (int j = 0; j < 16; j++) {
                int q = Bits.u8(src, blk + 6 + j);
                dst[o + j] = (((q & 0x0F) | (((qh >>> j) & 1) << 4)) - 16) * d;
                dst[o + j + 16] = (((q >>> 4) | (((qh >>> (j + 16)) & 1) << 4)) - 16) * d;
            }
        }
    }

    public static float dot(MemorySegment w, long off, int blocks, Activations a, int aBlock) {
        byte[] q = a.q;
        float sum = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = off + (long) b * BYTES;
            int qh = w.get(Bits.I32, blk + 2);
            int xq = (aBlock + b) * BLOCK;
            int isum = 0;
            for (int j = 0; j < 16; j++) {
                int v = Bits.u8(w, blk + 6 + j);
                isum += (((v & 0x0F) | (((qh >>> j) & 1) << 4)) - 16) * q[xq + j]
                        + (((v >>> 4) | (((qh >>> (j + 16)) & 1) << 4)) - 16) * q[xq + j + 16];
            }
            sum += Bits.f16(w, blk) * a.d[aBlock + b] * isum;
        }
        return sum;
    }
}
