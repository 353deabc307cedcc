package dev.qwen4j.tensor.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q3_K (QWEN_SPEC.md §1.5): 110-byte super-blocks of 256, {@code hmask: u8[32] | qs: u8[64] | scales: u8[12] | d: f16}.
 * Sixteen signed 6-bit scales; element {@code 128h + 32j + i} is bits 2j..2j+1 of {@code qs[32h + i]}, minus 4
 * when bit {@code 4h + j} of {@code hmask[i]} is clear.
 */
public final class Q3_K {
    public static final int BLOCK = 256;
    public static final int BYTES = 110;

    private Q3_K() {
    }

    static int scale(MemorySegment s, long blk, int i) {
        long sc = blk + 96;
        int low = i < 8 ? Bits.u8(s, sc + i) & 0x0F : Bits.u8(s, sc + i - 8) >>> 4;
        int high = (Bits.u8(s, sc + 8 + (i & 3)) >>> (2 * (i >>> 2))) & 3;
        return (low | (high << 4)) - 32;
    }

    static int level(MemorySegment s, long blk, int e) {
        int h = e >>> 7;
        int j = (e >>> 5) & 3;
        int i = e & 31;
        int q = (Bits.u8(s, blk + 32 + 32L * h + i) >>> (2 * j)) & 3;
        return (Bits.u8(s, blk + i) & (1 << (4 * h + j))) != 0 ? q : q - 4;
    }

    public static void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        Bits.checkBlocks(n, BLOCK);
        for (int b = 0; b < n / BLOCK; b++) {
            long blk = off + (long) b * BYTES;
            float d = Bits.f16(src, blk + 108);
            int o = dstOff + b * BLOCK;
            for (int s = 0; s < 16; s++) {
                float dl = d * scale(src, blk, s);
                for (int l = 0; l < 16; l++) dst[o + 16 * s + l] = dl * level(src, blk, 16 * s + l);
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
            for (int s = 0; s < 16; s++) {
                int dot = 0;
                for (int l = 0; l < 16; l++) dot += level(w, blk, 16 * s + l) * x[xq + 16 * s + l];
                sumi += scale(w, blk, s) * dot;
            }
            sum += Bits.f16(w, blk + 108) * a.d[ab] * sumi;
        }
        return sum;
    }
}
