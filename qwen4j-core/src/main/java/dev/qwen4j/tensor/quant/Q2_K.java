package dev.qwen4j.tensor.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q2_K (QWEN_SPEC.md §1.5): 84-byte super-blocks of 256, {@code scales: u8[16] | qs: u8[64] | d: f16 | dmin: f16}.
 * Sub-block s (16 elements) has scale {@code scales[s] & 15} and min {@code scales[s] >> 4}; element
 * {@code 128h + 32j + i} is bits 2j..2j+1 of {@code qs[32h + i]}.
 */
public final class Q2_K {
    public static final int BLOCK = 256;
    public static final int BYTES = 84;

    private Q2_K() {
    }

    static int level(MemorySegment s, long blk, int e) {
        return (Bits.u8(s, blk + 16 + 32L * (e >>> 7) + (e & 31)) >>> (2 * ((e >>> 5) & 3))) & 3;
    }

    public static void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        Bits.checkBlocks(n, BLOCK);
        for (int b = 0; b < n / BLOCK; b++) {
            long blk = off + (long) b * BYTES;
            float d = Bits.f16(src, blk + 80);
            float dmin = Bits.f16(src, blk + 82);
            int o = dstOff + b * BLOCK;
            for (int s = 0; s < 16; s++) {
                int c = Bits.u8(src, blk + s);
                float dl = d * (c & 0x0F);
                float ml = dmin * (c >>> 4);
                for (int l = 0; l < 16; l++) dst[o + 16 * s + l] = dl * level(src, blk, 16 * s + l) - ml;
            }
        }
    }

    public static float dot(MemorySegment w, long off, int blocks, Activations a, int aBlock) {
        byte[] x = a.q;
        float sum = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = off + (long) b * BYTES;
            int ab = aBlock + b;
            int xq = ab * BLOCK;
            int sumi = 0;
            int summ = 0;
            for (int s = 0; s < 16; s++) {
                int c = Bits.u8(w, blk + s);
                int dot = 0;
                for (int l = 0; l < 16; l++) dot += level(w, blk, 16 * s + l) * x[xq + 16 * s + l];
                sumi += (c & 0x0F) * dot;
                summ += (c >>> 4) * a.bsums[16 * ab + s];
            }
            float dx = a.d[ab];
            sum += dx * Bits.f16(w, blk + 80) * sumi - dx * Bits.f16(w, blk + 82) * summ;
        }
        return sum;
    }
}
