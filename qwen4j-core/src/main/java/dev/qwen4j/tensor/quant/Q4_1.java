package dev.qwen4j.tensor.quant;

import java.lang.foreign.MemorySegment;

/** Q4_1 (QWEN_SPEC.md §1.4): 20-byte blocks of 32, {@code d: f16 | m: f16 | qs: u8[16]}, {@code y = nibble·d + m}. */
public final class Q4_1 {
    public static final int BLOCK = 32;
    public static final int BYTES = 20;

    private Q4_1() {
    }

    public static void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        Bits.checkBlocks(n, BLOCK);
        for (int b = 0; b < n / BLOCK; b++) {
            long blk = off + (long) b * BYTES;
            float d = Bits.f16(src, blk);
            float m = Bits.f16(src, blk + 2);
            int o = dstOff + b * BLOCK;
            for (int j = 0; j < 16; j++) {
                int q = Bits.u8(src, blk + 4 + j);
                dst[o + j] = (q & 0x0F) * d + m;
                dst[o + j + 16] = (q >>> 4) * d + m;
            }
        }
    }

    /** Against Q8_1 activations (ggml's pairing): d_w·d_x·Σ nibble·q_x + m·s_x, s_x = f16(d_x·Σq_x). */
    public static float dot(MemorySegment w, long off, int blocks, Activations a, int aBlock) {
        byte[] q = a.q;
        float sum = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = off + (long) b * BYTES;
            int xq = (aBlock + b) * BLOCK;
            int isum = 0;
            for (int j = 0; j < 16; j++) {
                int v = Bits.u8(w, blk + 4 + j);
                isum += (v & 0x0F) * q[xq + j] + (v >>> 4) * q[xq + j + 16];
            }
            sum += Bits.f16(w, blk) * a.d[aBlock + b] * isum + Bits.f16(w, blk + 2) * a.s[aBlock + b];
        }
        return sum;
    }
}
