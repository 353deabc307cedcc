package dev.qwen4j.tensor.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q4_0 (QWEN_SPEC.md §1.4): 18-byte blocks of 32, {@code d: f16 | qs: u8[16]}; low nibbles are elements 0..15,
 * high nibbles 16..31, each {@code (nibble − 8)·d}.
 */
public final class Q4_0 {
    public static final int BLOCK = 32;
    public static final int BYTES = 18;

    private Q4_0() {
    }

    public static void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        Bits.checkBlocks(n, BLOCK);
        for (int b = 0; b < n / BLOCK; b++) {
            long blk = off + (long) b * BYTES;
            float d = Bits.f16(src, blk);
            int o = dstOff + b * BLOCK;
            for (int j = 0; j < 16; j++) {
                int q = Bits.u8(src, blk + 2 + j);
                dst[o + j] = ((q & 0x0F) - 8) * d;
                dst[o + j + 16] = ((q >>> 4) - 8) * d;
            }
        }
    }

    /**
     * ggml's reference quantizer: the signed value of largest magnitude maps to −8 (d = max/−8), the others
     * to {@code min(15, trunc(x/d + 8.5))}.
     */
    public static void quantize(float[] x, int xOff, int n, MemorySegment dst, long off) {
        Bits.checkBlocks(n, BLOCK);
        for (int b = 0; b < n / BLOCK; b++) {
            int base = xOff + b * BLOCK;
            float amax = 0;
            float max = 0;
            for (int i = 0; i < BLOCK; i++) {
                float v = x[base + i];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8;
            float id = d != 0 ? 1 / d : 0;
            long blk = off + (long) b * BYTES;
            Bits.putF16(dst, blk, d);
            for (int j = 0; j < 16; j++) {
                int lo = Math.min(15, (byte) (int) (x[base + j] * id + 8.5f));
                int hi = Math.min(15, (byte) (int) (x[base + j + 16] * id + 8.5f));
                Bits.put8(dst, blk + 2 + j, lo | (hi << 4));
            }
        }
    }

    /** Dot product against Q8_0 activations: d_w·d_x·Σ(nibble − 8)·q_x per block. */
    public static float dot(MemorySegment w, long off, int blocks, Activations a, int aBlock) {
        byte[] q = a.q;
        float sum = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = off + (long) b * BYTES;
            int xq = (aBlock + b) * BLOCK;
            int isum = 0;
            for (int j = 0; j < 16; j++) {
                int v = Bits.u8(w, blk + 2 + j);
                isum += ((v & 0x0F) - 8) * q[xq + j] + ((v >>> 4) - 8) * q[xq + j + 16];
            }
            sum += Bits.f16(w, blk) * a.d[aBlock + b] * isum;
        }
        return sum;
    }
}
