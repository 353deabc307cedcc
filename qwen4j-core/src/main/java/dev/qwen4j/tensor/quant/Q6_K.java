package dev.qwen4j.tensor.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q6_K (QWEN_SPEC.md §1.5): 210-byte super-blocks of 256, {@code ql: u8[128] | qh: u8[64] | scales: i8[16] | d: f16}
 * (d last). Element e has scale {@code scales[e/16]}; {@code y = d·scale·(q6 − 32)}. Within each half of 128, element
 * {@code 32k + l} takes its low 4 bits from {@code ql[l + 32·(k&1)]} (nibble k/2) and its high 2 bits from bits
 * 2k..2k+1 of {@code qh[l]}.
 */
public final class Q6_K {
    public static final int BLOCK = 256;
    public static final int BYTES = 210;

    private Q6_K() {
    }

    /** The 6-bit level (0..63) of element e (0..255) of the block at blk. */
    static int level(MemorySegment s, long blk, int e) {
        int h = e >>> 7;
        int k = (e >>> 5) & 3;
        int l = e & 31;
        int lo = (Bits.u8(s, blk + 64L * h + l + 32 * (k & 1)) >>> (4 * (k >>> 1))) & 0x0F;
        int hi = (Bits.u8(s, blk + 128 + 32L * h + l) >>> (2 * k)) & 3;
        return lo | (hi << 4);
    }

    public static void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        Bits.checkBlocks(n, BLOCK);
        for (int b = 0; b < n / BLOCK; b++) {
            long blk = off + (long) b * BYTES;
            float d = Bits.f16(src, blk + 208);
            int o = dstOff + b * BLOCK;
            for (int e = 0; e < BLOCK; e++) {
                float ds = d * Bits.i8(src, blk + 192 + e / 16);
                dst[o + e] = ds * (level(src, blk, e) - 32);
            }
        }
    }

    /** Against Q8_K activations: d_w·d_x·Σ_sub scale·Σ (q6 − 32)·q_x. */
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
                for (int l = 0; l < 16; l++) dot += (level(w, blk, 16 * s + l) - 32) * x[xq + 16 * s + l];
                sumi += Bits.i8(w, blk + 192 + s) * dot;
            }
            sum += Bits.f16(w, blk + 208) * a.d[ab] * sumi;
        }
        return sum;
    }

    /**
     * ggml's reference quantizer: per sub-block of 16 a signed scale search ({@link KQuantFit#signedScale}), the 16
     * scales quantized to i8 so that the largest maps to −128 (clamped to 127), then the levels re-derived from them.
     */
    public static void quantize(float[] x, int xOff, int n, MemorySegment dst, long off) {
        Bits.checkBlocks(n, BLOCK);
        int[] levels = new int[BLOCK];
        float[] scales = new float[16];
        for (int b = 0; b < n / BLOCK; b++) {
            int base = xOff + b * BLOCK;
            long blk = off + (long) b * BYTES;
            float maxScale = 0;
            float maxAbsScale = 0;
            for (int s = 0; s < 16; s++) {
                scales[s] = KQuantFit.signedScale(16, 32, x, base + 16 * s, levels, 16 * s);
                if (Math.abs(scales[s]) > maxAbsScale) {
                    maxAbsScale = Math.abs(scales[s]);
                    maxScale = scales[s];
                }
            }
            if (maxAbsScale < 1e-15f) {
                dst.asSlice(blk, BYTES).fill((byte) 0);
                continue;
            }
            float iscale = -128f / maxScale;
            Bits.putF16(dst, blk + 208, 1 / iscale);
            for (int s = 0; s < 16; s++) Bits.put8(dst, blk + 192 + s, Math.min(127, Bits.nearestInt(iscale * scales[s])));
            float d = Bits.f16(dst, blk + 208);
            for (int s = 0; s < 16; s++) {
                float ds = d * Bits.i8(dst, blk + 192 + s);
                if (ds == 0) continue;
                for (int l = 0; l < 16; l++) {
                    levels[16 * s + l] = 32 + Math.clamp(Bits.nearestInt(x[base + 16 * s + l] / ds), -32, 31);
                }
            }
            for (int h = 0; h < 2; h++) {
                int e = 128 * h;
                for (int l = 0; l < 32; l++) {
                    int q1 = levels[e + l];
                    int q2 = levels[e + l + 32];
                    int q3 = levels[e + l + 64];
                    int q4 = levels[e + l + 96];
                    Bits.put8(dst, blk + 64L * h + l, (q1 & 0x0F) | ((q3 & 0x0F) << 4));
                    Bits.put8(dst, blk + 64L * h + l + 32, (q2 & 0x0F) | ((q4 & 0x0F) << 4));
                    Bits.put8(dst, blk + 128 + 32L * h + l, (q1 >>> 4) | ((q2 >>> 4) << 2) | ((q3 >>> 4) << 4) | ((q4 >>> 4) << 6));
                }
            }
        }
    }
}
