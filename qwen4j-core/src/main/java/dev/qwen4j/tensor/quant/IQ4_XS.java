package dev.qwen4j.tensor.quant;

import java.lang.foreign.MemorySegment;

/**
 * IQ4_XS (QWEN_SPEC.md §1.5): 136-byte super-blocks of 256, {@code d: f16 | scales_h: u16 | scales_l: u8[4] | qs: u8[128]}.
 * Eight sub-blocks of 32 with 6-bit scales {@code ls − 32}; levels from {@link IQ4_NL#VALUES}, nibbles laid out as IQ4_NL.
 */
public final class IQ4_XS {
    public static final int BLOCK = 256;
    public static final int BYTES = 136;

    private IQ4_XS() {
    }

    static int scale(MemorySegment s, long blk, int ib) {
        int hi = Short.toUnsignedInt(s.get(Bits.I16, blk + 2));
        int ls = ((Bits.u8(s, blk + 4 + ib / 2) >>> (4 * (ib % 2))) & 0x0F) | (((hi >>> (2 * ib)) & 3) << 4);
        return ls - 32;
    }

    public static void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        Bits.checkBlocks(n, BLOCK);
        for (int b = 0; b < n / BLOCK; b++) {
            long blk = off + (long) b * BYTES;
            float d = Bits.f16(src, blk);
            int o = dstOff + b * BLOCK;
            for (int ib = 0; ib < 8; ib++) {
                float dl = d * scale(src, blk, ib);
                long q = blk + 8 + 16L * ib;
                for (int j = 0; j < 16; j++) {
                    int v = Bits.u8(src, q + j);
                    dst[o + 32 * ib + j] = dl * IQ4_NL.VALUES[v & 0x0F];
                    dst[o + 32 * ib + 16 + j] = dl * IQ4_NL.VALUES[v >>> 4];
                }
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
            for (int ib = 0; ib < 8; ib++) {
                long q = blk + 8 + 16L * ib;
                int dot = 0;
                for (int j = 0; j < 16; j++) {
                    int v = Bits.u8(w, q + j);
                    dot += IQ4_NL.VALUES[v & 0x0F] * x[xq + 32 * ib + j] + IQ4_NL.VALUES[v >>> 4] * x[xq + 32 * ib + 16 + j];
                }
                sumi += scale(w, blk, ib) * dot;
            }
            sum += Bits.f16(w, blk) * a.d[ab] * sumi;
        }
        return sum;
    }
}
