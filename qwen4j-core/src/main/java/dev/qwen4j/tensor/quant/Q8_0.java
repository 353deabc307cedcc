package dev.qwen4j.tensor.quant;

import java.lang.foreign.MemorySegment;

/** Q8_0 (QWEN_SPEC.md §1.4): 34-byte blocks of 32, {@code d: f16 | qs: i8[32]}, {@code y = qs·d}. */
public final class Q8_0 {
    public static final int BLOCK = 32;
    public static final int BYTES = 34;

    private Q8_0() {
    }

    public static void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        Bits.checkBlocks(n, BLOCK);
        for (int b = 0; b < n / BLOCK; b++) {
            long blk = off + (long) b * BYTES;
            float d = Bits.f16(src, blk);
            int o = dstOff + b * BLOCK;
            for (int i = 0; i < BLOCK; i++) dst[o + i] = Bits.i8(src, blk + 2 + i) * d;
        }
    }

    /** ggml's reference quantizer: d = amax/127, q = roundf(x/d) (half away from zero). */
    public static void quantize(float[] x, int xOff, int n, MemorySegment dst, long off) {
        Bits.checkBlocks(n, BLOCK);
        for (int b = 0; b < n / BLOCK; b++) {
            int base = xOff + b * BLOCK;
            float amax = 0;
            for (int i = 0; i < BLOCK; i++) amax = Math.max(amax, Math.abs(x[base + i]));
            float d = amax / 127;
            float id = d != 0 ? 1 / d : 0;
            long blk = off + (long) b * BYTES;
            Bits.putF16(dst, blk, d);
            for (int i = 0; i < BLOCK; i++) Bits.put8(dst, blk + 2 + i, Bits.roundAway(x[base + i] * id));
        }
    }

    /** Σ over {@code blocks} weight blocks of d_w·d_x·(integer dot of the quants) against Q8_0 activations. */
    public static float dot(MemorySegment w, long off, int blocks, Activations a, int aBlock) {
        byte[] q = a.q;
        float sum = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = off + (long) b * BYTES;
            int xq = (aBlock + b) * BLOCK;
            int isum = 0;
            for (int i = 0; i < BLOCK; i++) isum += Bits.i8(w, blk + 2 + i) * q[xq + i];
            sum += Bits.f16(w, blk) * a.d[aBlock + b] * isum;
        }
        return sum;
    }
}
