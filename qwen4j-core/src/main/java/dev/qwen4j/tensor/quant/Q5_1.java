package dev.qwen4j.tensor.quant;

import java.lang.foreign.MemorySegment;

/** Q5_1 (QWEN_SPEC.md §1.4): 24-byte blocks of 32, {@code d: f16 | m: f16 | qh: u32 | qs: u8[16]}, {@code y = q5·d + m}. */
public final class Q5_1 {
    public static final int BLOCK = 32;
    public static final int BYTES = 24;

    private Q5_1() {
    }

    public static void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        Bits.checkBlocks(n, BLOCK);
        for (int b = 0; b < n / BLOCK; b++) {
            long blk = off + (long) b * BYTES;
            float d = Bits.f16(src, blk);
            float m = Bits.f16(src, blk + 2);
            int qh = src.get(Bits.I32, blk + 4);
            int o = dstOff + b * BLOCK;
            for (int j = 0; j < 16; j++) {
                int q = Bits.u8(src, blk + 8 + j);
                dst[o + j] = ((q & 0x0F) | (((qh >>> j) & 1) << 4)) * d + m;
                dst[o + j + 16] = ((q >>> 4) | (((qh >>> (j + 16)) & 1) << 4)) * d + m;
            }
        }
    }

    /** Against Q8_1 activations, like {@link Q4_1#dot}. */
    public static float dot(MemorySegment w, long off, int blocks, Activations a, int aBlock) {
        byte[] q = a.q;
        float sum = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = off + (long) b * BYTES;
            int qh = w.get(Bits.I32, blk + 4);
            int xq = (aBlock + b) * BLOCK;
            int isum = 0;
            for (int j = 0; j < 16; j++) {
                int v = Bits.u8(w, blk + 8 + j);
                isum += ((v & 0x0F) | (((qh >>> j) & 1) << 4)) * q[xq + j]
                        + ((v >>> 4) | (((qh >>> (j + 16)) & 1) << 4)) * q[xq + j + 16];
            }
            sum += Bits.f16(w, blk) * a.d[aBlock + b] * isum + Bits.f16(w, blk + 2) * a.s[aBlock + b];
        }
        return sum;
    }
}
