package dev.qwen4j.tensor.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q5_K (QWEN_SPEC.md §1.5): 176-byte super-blocks of 256, {@code d | dmin | scales: u8[12] | qh: u8[32] | qs: u8[128]}.
 * Scales and mins as Q4_K; the fifth bit of element {@code 32j + l} is bit j of {@code qh[l]}.
 */
public final class Q5_K {
    public static final int BLOCK = 256;
    public static final int BYTES = 176;

    private Q5_K() {
    }

    public static void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        Bits.checkBlocks(n, BLOCK);
        for (int b = 0; b < n / BLOCK; b++) {
            long blk = off + (long) b * BYTES;
            float d = Bits.f16(src, blk);
            float dmin = Bits.f16(src, blk + 2);
            long qh = blk + 16;
            int o = dstOff + b * BLOCK;
            for (int g = 0; g < 4; g++) {
                float d1 = d * Q4_K.scale(src, blk + 4, 2 * g);
                float m1 = dmin * Q4_K.min(src, blk + 4, 2 * g);
                float d2 = d * Q4_K.scale(src, blk + 4, 2 * g + 1);
                float m2 = dmin * Q4_K.min(src, blk + 4, 2 * g + 1);
                long q = blk + 48 + 32L * g;
                for (int l = 0; l < 32; l++) {
                    int v = Bits.u8(src, q + l);
                    int h = Bits.u8(src, qh + l);
                    dst[o + 64 * g + l] = d1 * ((v & 0x0F) + (((h >>> (2 * g)) & 1) << 4)) - m1;
                    dst[o + 64 * g + 32 + l] = d2 * ((v >>> 4) + (((h >>> (2 * g + 1)) & 1) << 4)) - m2;
                }
            }
        }
    }

    /** Against Q8_K activations, as {@link Q4_K#dot} with 5-bit levels. */
    public static float dot(MemorySegment w, long off, int blocks, Activations a, int aBlock) {
        byte[] x = a.q;
        float sum = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = off + (long) b * BYTES;
            int ab = aBlock + b;
            int xq = ab * BLOCK;
            int sumi = 0;
            int summ = 0;
            for (int j = 0; j < 8; j++) {
                long q = blk + 48 + 32L * (j / 2);
                int shift = 4 * (j & 1);
                int dot = 0;
                for (int l = 0; l < 32; l++) {
                    int v = ((Bits.u8(w, q + l) >>> shift) & 0x0F) | (((Bits.u8(w, blk + 16 + l) >>> j) & 1) << 4);
                    dot += v * x[xq + 32 * j + l];
                }
                sumi += Q4_K.scale(w, blk + 4, j) * dot;
                summ += Q4_K.min(w, blk + 4, j) * (a.bsums[16 * ab + 2 * j] + a.bsums[16 * ab + 2 * j + 1]);
            }
            float dx = a.d[ab];
            sum += Bits.f16(w, blk) * dx * sumi - Bits.f16(w, blk + 2) * dx * summ;
        }
        return sum;
    }
}
