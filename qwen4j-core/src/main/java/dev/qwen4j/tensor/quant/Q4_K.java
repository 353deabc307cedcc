package dev.qwen4j.tensor.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q4_K (QWEN_SPEC.md §1.5): 144-byte super-blocks of 256, {@code d: f16 | dmin: f16 | scales: u8[12] | qs: u8[128]}.
 * Eight sub-blocks of 32 each have a 6-bit scale and 6-bit min; {@code y = d·sc·q − dmin·mn}. Sub-blocks 2g and
 * 2g+1 share the 32 bytes {@code qs[32g..]} (low and high nibbles).
 */
public final class Q4_K {
    public static final int BLOCK = 256;
    public static final int BYTES = 144;

    private Q4_K() {
    }

    /** The 6-bit scale of sub-block j (0..7) from the 12 packed bytes at {@code scales}. */
    public static int scale(MemorySegment s, long scales, int j) {
        return j < 4 ? Bits.u8(s, scales + j) & 63
                : (Bits.u8(s, scales + j + 4) & 0x0F) | ((Bits.u8(s, scales + j - 4) >>> 6) << 4);
    }

    /** The 6-bit min of sub-block j (0..7). */
    public static int min(MemorySegment s, long scales, int j) {
        return j < 4 ? Bits.u8(s, scales + j + 4) & 63
                : (Bits.u8(s, scales + j + 4) >>> 4) | ((Bits.u8(s, scales + j) >>> 6) << 4);
    }

    public static void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        Bits.checkBlocks(n, BLOCK);
        for (int b = 0; b < n / BLOCK; b++) {
            long blk = off + (long) b * BYTES;
            float d = Bits.f16(src, blk);
            float dmin = Bits.f16(src, blk + 2);
            int o = dstOff + b * BLOCK;
            for (int g = 0; g < 4; g++) {
                float d1 = d * scale(src, blk + 4, 2 * g);
                float m1 = dmin * min(src, blk + 4, 2 * g);
                float d2 = d * scale(src, blk + 4, 2 * g + 1);
                float m2 = dmin * min(src, blk + 4, 2 * g + 1);
                long q = blk + 16 + 32L * g;
                for (int l = 0; l < 32; l++) {
                    int v = Bits.u8(src, q + l);
                    dst[o + 64 * g + l] = d1 * (v & 0x0F) - m1;
                    dst[o + 64 * g + 32 + l] = d2 * (v >>> 4) - m2;
                }
            }
        }
    }

    /** Against Q8_K activations: d_w·d_x·Σ sc·(q·q_x) − dmin·d_x·Σ mn·(sum of the sub-block's q_x). */
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
                long q = blk + 16 + 32L * (j / 2);
                int shift = 4 * (j & 1);
                int dot = 0;
                for (int l = 0; l < 32; l++) dot += ((Bits.u8(w, q + l) >>> shift) & 0x0F) * x[xq + 32 * j + l];
                sumi += scale(w, blk + 4, j) * dot;
                summ += min(w, blk + 4, j) * (a.bsums[16 * ab + 2 * j] + a.bsums[16 * ab + 2 * j + 1]);
            }
            float dx = a.d[ab];
            sum += Bits.f16(w, blk) * dx * sumi - Bits.f16(w, blk + 2) * dx * summ;
        }
        return sum;
    }

    /**
     * ggml's reference quantizer: per sub-block a weighted least-squares fit of scale and min over 21 candidate
     * grids ({@link KQuantFit#scaleAndMin}), then the scales and mins quantized to 6 bits against the largest.
     */
    public static void quantize(float[] x, int xOff, int n, MemorySegment dst, long off) {
        Bits.checkBlocks(n, BLOCK);
        int[] levels = new int[BLOCK];
        float[] scales = new float[8];
        float[] mins = new float[8];
        float[] weights = new float[32];
        float[] minOut = new float[1];
        for (int b = 0; b < n / BLOCK; b++) {
            int base = xOff + b * BLOCK;
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < 8; j++) {
                int sb = base + 32 * j;
                float sumX2 = 0;
                for (int l = 0; l < 32; l++) sumX2 += x[sb + l] * x[sb + l];
                float av = (float) Math.sqrt(sumX2 / 32);
                for (int l = 0; l < 32; l++) weights[l] = av + Math.abs(x[sb + l]);
                scales[j] = KQuantFit.scaleAndMin(32, 15, x, sb, weights, levels, 32 * j, minOut, -1f, 0.1f, 20);
                mins[j] = minOut[0];
                maxScale = Math.max(maxScale, scales[j]);
                maxMin = Math.max(maxMin, mins[j]);
            }
            float invScale = maxScale > 0 ? 63f / maxScale : 0f;
            float invMin = maxMin > 0 ? 63f / maxMin : 0f;
            long blk = off + (long) b * BYTES;
            byte[] packed = new byte[12];
            for (int j = 0; j < 8; j++) {
                int ls = Math.min(63, Bits.nearestInt(invScale * scales[j]) & 0xFF);
                int lm = Math.min(63, Bits.nearestInt(invMin * mins[j]) & 0xFF);
                if (j < 4) {
                    packed[j] = (byte) ls;
                    packed[j + 4] = (byte) lm;
                } else {
                    packed[j + 4] = (byte) ((ls & 0x0F) | ((lm & 0x0F) << 4));
                    packed[j - 4] |= (byte) ((ls >>> 4) << 6);
                    packed[j] |= (byte) ((lm >>> 4) << 6);
                }
            }
            Bits.putF16(dst, blk, maxScale / 63f);
            Bits.putF16(dst, blk + 2, maxMin / 63f);
            MemorySegment.copy(MemorySegment.ofArray(packed), 0, dst, blk + 4, 12);
            float d = Bits.f16(dst, blk);
            float dmin = Bits.f16(dst, blk + 2);
            for (int j = 0; j < 8; j++) {
                float dl = d * scale(dst, blk + 4, j);
                if (dl == 0) continue;
                float ml = dmin * min(dst, blk + 4, j);
                for (int l = 0; l < 32; l++) {
                    levels[32 * j + l] = Math.clamp(Bits.nearestInt((x[base + 32 * j + l] + ml) / dl), 0, 15);
                }
            }
            for (int g = 0; g < 4; g++) {
                for (int l = 0; l < 32; l++) {
                    Bits.put8(dst, blk + 16 + 32L * g + l, levels[64 * g + l] | (levels[64 * g + 32 + l] << 4));
                }
            }
        }
    }
}
