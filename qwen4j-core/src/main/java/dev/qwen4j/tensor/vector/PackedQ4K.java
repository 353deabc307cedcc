package dev.qwen4j.tensor.vector;

import dev.qwen4j.tensor.MatmulKernel;
import dev.qwen4j.tensor.Tensor;
import dev.qwen4j.tensor.quant.Activations;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.qwen4j.tensor.vector.Packed.G;
import static dev.qwen4j.tensor.vector.Packed.SS;
import static dev.qwen4j.tensor.vector.VectorMatmul.FS;
import static dev.qwen4j.tensor.vector.VectorMatmul.IS;
import static dev.qwen4j.tensor.vector.VectorMatmul.L;

/**
 * Q4_K in groups of {@link Packed#G} interleaved rows (see {@link Packed} for the idea). Per group and super-block
 * of 256 elements: the G values of d, then of dmin (F16), the eight 6-bit sub-block scales and the eight mins
 * of the G rows as bytes (unpacked from the 12 packed bytes once, at load), then the 128 quant bytes, each
 * position as G consecutive bytes. 148·G bytes where the file takes 144·G.
 *
 * <p>One-token kernel: a quant byte holds element i of sub-block 2m (low nibble) and of sub-block 2m+1 (high);
 * each nibble times its broadcast activation quant is summed in 16-bit lanes over the 32 elements of a sub-block
 * (started at −8·Σx so that the final value fits: see {@code superBlock}), widened to ints, multiplied by the lane's sub-block scale and summed over the super-block (an exact integer),
 * and so is Σ_j min_j·(sum of sub-block j's activation quants). The super-block adds
 * d_x·(d·dot − dmin·mins) in float — the integer dot of the row kernels, in the same order.
 */
final class PackedQ4K {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final VectorSpecies<Byte> BG = VectorSpecies.of(byte.class, VectorShape.forBitSize(G * 8));
    private static final VectorSpecies<Byte> BL = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    private static final int D = 0;
    private static final int DMIN = 2 * G;
    private static final int SCALES = 4 * G;
    private static final int MINS = 12 * G;
    private static final int QS = 20 * G;
    /** Bytes of one group's super-block. */
    static final int GROUP_BLOCK = 148 * G;

    private PackedQ4K() {
    }

    static MemorySegment pack(Tensor w, Arena arena, MatmulKernel.Parallel parallel) {
        int blocks = w.rowLength() / 256;
        return Packed.packGroups(w, arena, parallel, blocks * GROUP_BLOCK, (row, lane, out) -> {
            for (int b = 0; b < blocks; b++) {
                int i = 144 * b;
                int o = b * GROUP_BLOCK;
                out[o + D + 2 * lane] = row[i];
                out[o + D + 2 * lane + 1] = row[i + 1];
                out[o + DMIN + 2 * lane] = row[i + 2];
                out[o + DMIN + 2 * lane + 1] = row[i + 3];
                for (int j = 0; j < 8; j++) {
                    out[o + SCALES + j * G + lane] = (byte) scale(row, i + 4, j);
                    out[o + MINS + j * G + lane] = (byte) min(row, i + 4, j);
                }
                for (int s = 0; s < 128; s++) out[o + QS + s * G + lane] = row[i + 16 + s];
            }
        });
    }

    /** Sub-block j's 6-bit scale from the 12 packed bytes at {@code s} (ggml's get_scale_min_k4). */
    private static int scale(byte[] b, int s, int j) {
        return j < 4 ? b[s + j] & 63 : (b[s + j + 4] & 0x0F) | ((b[s + j - 4] & 0xC0) >> 2);
    }

    private static int min(byte[] b, int s, int j) {
        return j < 4 ? b[s + j + 4] & 63 : ((b[s + j + 4] & 0xFF) >> 4) | ((b[s + j] & 0xC0) >> 2);
    }

    private static long groupOffset(int g, int blocks) {
        return (long) g * blocks * GROUP_BLOCK;
    }

    static void multiply(Tensor w, MemorySegment p, Activations a, float[] out, int g0, int g1) {
        int rows = Math.toIntExact(w.rows());
        int blocks = a.n / 256;
        int[] dots = new int[2 * L], dots2 = new int[4 * L];
        for (int g = g0; g < g1; g++) {
            long base = groupOffset(g, blocks);
            // Small batches (a token and its drafts): tokens in pairs share each load's nibbles, each token's
            // arithmetic exactly that of the one-token kernel.
            int t = 0;
            for (; t + 2 <= a.batch; t += 2) dot2(p, base, blocks, a, t, out, rows, g * G, dots2);
            if (t < a.batch) dot(p, base, blocks, a, t * blocks, out, t * rows + g * G, dots);
        }
    }

    /** Tokens t and t+1 over one group, as {@link #dot} does each ({@code dots}: 4·L ints of scratch). */
    private static void dot2(MemorySegment p, long base, int blocks, Activations a, int t, float[] out, int rows, int o, int[] dots) {
        int[] xp = a.qpairs();
        int[] s32 = a.sums32;
        int ya = t * blocks, yb = ya + blocks;
        FloatVector acc0 = FloatVector.zero(FS), acc1 = acc0, bcc0 = acc0, bcc1 = acc0;
        long touched = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = base + (long) b * GROUP_BLOCK;
            for (long h = blk; h < blk + QS; h += 64) touched += p.get(ValueLayout.JAVA_BYTE, h);
            superBlock2(p, blk, xp, (ya + b) * 256, (yb + b) * 256, s32, 8 * (ya + b), 8 * (yb + b), dots);
            IntVector h0h = (IntVector) ShortVector.fromMemorySegment(VectorMatmul.SS, p, blk + D, LE).convertShape(VectorOperators.S2I, IS, 0);
            FloatVector h0 = h0h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(h0h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            IntVector h1h = (IntVector) ShortVector.fromMemorySegment(VectorMatmul.SS, p, blk + D + 2L * L, LE).convertShape(VectorOperators.S2I, IS, 0);
            FloatVector h1 = h1h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(h1h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            IntVector n0h = (IntVector) ShortVector.fromMemorySegment(VectorMatmul.SS, p, blk + DMIN, LE).convertShape(VectorOperators.S2I, IS, 0);
            FloatVector n0 = n0h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(n0h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            IntVector n1h = (IntVector) ShortVector.fromMemorySegment(VectorMatmul.SS, p, blk + DMIN + 2L * L, LE).convertShape(VectorOperators.S2I, IS, 0);
            FloatVector n1 = n1h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(n1h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            IntVector minA0 = IntVector.zero(IS), minA1 = minA0, minB0 = minA0, minB1 = minA0;
            for (int j = 0; j < 8; j++) {
                int xsa = s32[8 * (ya + b) + j], xsb = s32[8 * (yb + b) + j];
                long mo = blk + MINS + (long) j * G;
                IntVector mins0 = (IntVector) ByteVector.fromMemorySegment(BL, p, mo, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
                IntVector mins1 = (IntVector) ByteVector.fromMemorySegment(BL, p, mo + L, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
                minA0 = minA0.add(mins0.mul(xsa));
                minA1 = minA1.add(mins1.mul(xsa));
                minB0 = minB0.add(mins0.mul(xsb));
                minB1 = minB1.add(mins1.mul(xsb));
            }
            float da = a.d[ya + b], db = a.d[yb + b];
            FloatVector dotA0 = (FloatVector) IntVector.fromArray(IS, dots, 0).convert(VectorOperators.I2F, 0);
            FloatVector dotA1 = (FloatVector) IntVector.fromArray(IS, dots, L).convert(VectorOperators.I2F, 0);
            FloatVector dotB0 = (FloatVector) IntVector.fromArray(IS, dots, 2 * L).convert(VectorOperators.I2F, 0);
            FloatVector dotB1 = (FloatVector) IntVector.fromArray(IS, dots, 3 * L).convert(VectorOperators.I2F, 0);
            acc0 = dotA0.fma(h0.mul(da), acc0).sub(((FloatVector) minA0.convert(VectorOperators.I2F, 0)).mul(n0.mul(da)));
            acc1 = dotA1.fma(h1.mul(da), acc1).sub(((FloatVector) minA1.convert(VectorOperators.I2F, 0)).mul(n1.mul(da)));
            bcc0 = dotB0.fma(h0.mul(db), bcc0).sub(((FloatVector) minB0.convert(VectorOperators.I2F, 0)).mul(n0.mul(db)));
            bcc1 = dotB1.fma(h1.mul(db), bcc1).sub(((FloatVector) minB1.convert(VectorOperators.I2F, 0)).mul(n1.mul(db)));
        }
        if (touched == Long.MIN_VALUE) acc0 = acc0.add(1);   // never: keeps the reads above from being dropped
        acc0.intoArray(out, t * rows + o);
        acc1.intoArray(out, t * rows + o + L);
        bcc0.intoArray(out, (t + 1) * rows + o);
        bcc1.intoArray(out, (t + 1) * rows + o + L);
    }

    /** {@link #superBlock} for two tokens: token a's sums into {@code dots[0..2L)}, token b's into {@code [2L..4L)}. */
    private static void superBlock2(MemorySegment p, long blk, int[] xp, int xa, int xb, int[] xs, int sa, int sb, int[] dots) {
        IntVector a0 = IntVector.zero(IS), a1 = a0, b0 = a0, b1 = a0;
        for (int m = 0; m < 4; m++) {
            int xla = 8 * xs[sa + 2 * m], xha = 8 * xs[sa + 2 * m + 1];
            int xlb = 8 * xs[sb + 2 * m], xhb = 8 * xs[sb + 2 * m + 1];
            ShortVector loA = IntVector.broadcast(IS, Activations.pair(-xla)).reinterpretAsShorts();
            ShortVector hiA = IntVector.broadcast(IS, Activations.pair(-xha)).reinterpretAsShorts();
            ShortVector loB = IntVector.broadcast(IS, Activations.pair(-xlb)).reinterpretAsShorts();
            ShortVector hiB = IntVector.broadcast(IS, Activations.pair(-xhb)).reinterpretAsShorts();
            for (int s = 0; s < 32; s++) {
                IntVector v = ((ShortVector) ByteVector.fromMemorySegment(BG, p, blk + QS + (long) (32 * m + s) * G, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, SS, 0)).reinterpretAsInts();
                ShortVector l = v.and(0x000F000F).reinterpretAsShorts();
                ShortVector u = v.lanewise(VectorOperators.LSHR, 4).and(0x000F000F).reinterpretAsShorts();
                loA = l.mul(IntVector.broadcast(IS, xp[xa + 64 * m + s]).reinterpretAsShorts()).add(loA);
                hiA = u.mul(IntVector.broadcast(IS, xp[xa + 64 * m + 32 + s]).reinterpretAsShorts()).add(hiA);
                loB = l.mul(IntVector.broadcast(IS, xp[xb + 64 * m + s]).reinterpretAsShorts()).add(loB);
                hiB = u.mul(IntVector.broadcast(IS, xp[xb + 64 * m + 32 + s]).reinterpretAsShorts()).add(hiB);
            }
            long sc = blk + SCALES + (long) (2 * m) * G;
            IntVector scLo0 = (IntVector) ByteVector.fromMemorySegment(BL, p, sc, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
            IntVector scHi0 = (IntVector) ByteVector.fromMemorySegment(BL, p, sc + G, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
            IntVector scLo1 = (IntVector) ByteVector.fromMemorySegment(BL, p, sc + L, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
            IntVector scHi1 = (IntVector) ByteVector.fromMemorySegment(BL, p, sc + G + L, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
            a0 = a0.add(((IntVector) loA.convertShape(VectorOperators.S2I, IS, 0)).add(xla).mul(scLo0))
                    .add(((IntVector) hiA.convertShape(VectorOperators.S2I, IS, 0)).add(xha).mul(scHi0));
            a1 = a1.add(((IntVector) loA.convertShape(VectorOperators.S2I, IS, 1)).add(xla).mul(scLo1))
                    .add(((IntVector) hiA.convertShape(VectorOperators.S2I, IS, 1)).add(xha).mul(scHi1));
            b0 = b0.add(((IntVector) loB.convertShape(VectorOperators.S2I, IS, 0)).add(xlb).mul(scLo0))
                    .add(((IntVector) hiB.convertShape(VectorOperators.S2I, IS, 0)).add(xhb).mul(scHi0));
            b1 = b1.add(((IntVector) loB.convertShape(VectorOperators.S2I, IS, 1)).add(xlb).mul(scLo1))
                    .add(((IntVector) hiB.convertShape(VectorOperators.S2I, IS, 1)).add(xhb).mul(scHi1));
        }
        a0.intoArray(dots, 0);
        a1.intoArray(dots, L);
        b0.intoArray(dots, 2 * L);
        b1.intoArray(dots, 3 * L);
    }

    /*
     * Split in two methods on purpose: as one, C2 stops inlining the vector helpers part way (its node-count
     * cutoff), and every call left standing boxes its vector result.
     */
    private static void dot(MemorySegment p, long base, int blocks, Activations a, int ab, float[] out, int o, int[] dots) {
        int[] xp = a.qpairs();
        int[] s32 = a.sums32;
        FloatVector acc0 = FloatVector.zero(FS), acc1 = acc0;
        long touched = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = base + (long) b * GROUP_BLOCK;
            // Reads in address order keep the hardware prefetcher streaming from memory: one byte of each of the
            // header's lines is read before the quants (its values are used after them, so that no vector is live
            // across the call); reading the header only after the quants measured a fifth slower.
            for (long h = blk; h < blk + QS; h += 64) touched += p.get(ValueLayout.JAVA_BYTE, h);
            superBlock(p, blk, xp, (ab + b) * 256, s32, 8 * (ab + b), dots);
            float dx = a.d[ab + b];
            // F16 → F32 written out (VectorMatmul.halfs): C2 does not inline that helper here, and each call boxes.
            IntVector h0h = (IntVector) ShortVector.fromMemorySegment(VectorMatmul.SS, p, blk + D, LE).convertShape(VectorOperators.S2I, IS, 0);
            FloatVector h0 = h0h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(h0h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            IntVector h1h = (IntVector) ShortVector.fromMemorySegment(VectorMatmul.SS, p, blk + D + 2L * L, LE).convertShape(VectorOperators.S2I, IS, 0);
            FloatVector h1 = h1h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(h1h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            IntVector n0h = (IntVector) ShortVector.fromMemorySegment(VectorMatmul.SS, p, blk + DMIN, LE).convertShape(VectorOperators.S2I, IS, 0);
            FloatVector n0 = n0h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(n0h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            IntVector n1h = (IntVector) ShortVector.fromMemorySegment(VectorMatmul.SS, p, blk + DMIN + 2L * L, LE).convertShape(VectorOperators.S2I, IS, 0);
            FloatVector n1 = n1h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(n1h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            FloatVector d0 = h0.mul(dx), d1 = h1.mul(dx);
            FloatVector m0 = n0.mul(dx), m1 = n1.mul(dx);
            IntVector min0 = IntVector.zero(IS), min1 = min0;
            for (int j = 0; j < 8; j++) {
                int xs = s32[8 * (ab + b) + j];
                long mo = blk + MINS + (long) j * G;
                // Byte loads written out here and below: C2 compiles a small helper on its own and then refuses
                // to inline it into this kernel, and every call boxes its vector result.
                IntVector mins0 = (IntVector) ByteVector.fromMemorySegment(BL, p, mo, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
                IntVector mins1 = (IntVector) ByteVector.fromMemorySegment(BL, p, mo + L, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
                min0 = min0.add(mins0.mul(xs));
                min1 = min1.add(mins1.mul(xs));
            }
            FloatVector dot0 = (FloatVector) IntVector.fromArray(IS, dots, 0).convert(VectorOperators.I2F, 0);
            FloatVector dot1 = (FloatVector) IntVector.fromArray(IS, dots, L).convert(VectorOperators.I2F, 0);
            acc0 = dot0.fma(d0, acc0).sub(((FloatVector) min0.convert(VectorOperators.I2F, 0)).mul(m0));
            acc1 = dot1.fma(d1, acc1).sub(((FloatVector) min1.convert(VectorOperators.I2F, 0)).mul(m1));
        }
        if (touched == Long.MIN_VALUE) acc0 = acc0.add(1);   // never: keeps the reads above from being dropped
        acc0.intoArray(out, o);
        acc1.intoArray(out, o + L);
    }

    /** Σ_j scale_j · Σ_{i ∈ sub-block j} level_i · x_i of one super-block, per lane, into {@code dots[0..2L)}. */
    private static void superBlock(MemorySegment p, long blk, int[] xp, int xo, int[] xs, int xb, int[] dots) {
        IntVector dot0 = IntVector.zero(IS), dot1 = dot0;
        for (int m = 0; m < 4; m++) {
            // 16-bit sums started at −8·Σx of their sub-block: products of unsigned levels may wrap around, but
            // the final Σ (level − 8)·x, at most 32·8·127 < 2^15 in size, is exact; 8·Σx is added back in ints.
            int xl = 8 * xs[xb + 2 * m], xh = 8 * xs[xb + 2 * m + 1];
            ShortVector lo = IntVector.broadcast(IS, Activations.pair(-xl)).reinterpretAsShorts();
            ShortVector hi = IntVector.broadcast(IS, Activations.pair(-xh)).reinterpretAsShorts();
            for (int s = 0; s < 32; s++) {
                IntVector v = ((ShortVector) ByteVector.fromMemorySegment(BG, p, blk + QS + (long) (32 * m + s) * G, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, SS, 0)).reinterpretAsInts();
                ShortVector l = v.and(0x000F000F).reinterpretAsShorts();
                ShortVector u = v.lanewise(VectorOperators.LSHR, 4).and(0x000F000F).reinterpretAsShorts();
                lo = l.mul(IntVector.broadcast(IS, xp[xo + 64 * m + s]).reinterpretAsShorts()).add(lo);
                hi = u.mul(IntVector.broadcast(IS, xp[xo + 64 * m + 32 + s]).reinterpretAsShorts()).add(hi);
            }
            IntVector lo0 = ((IntVector) lo.convertShape(VectorOperators.S2I, IS, 0)).add(xl);
            IntVector lo1 = ((IntVector) lo.convertShape(VectorOperators.S2I, IS, 1)).add(xl);
            IntVector hi0 = ((IntVector) hi.convertShape(VectorOperators.S2I, IS, 0)).add(xh);
            IntVector hi1 = ((IntVector) hi.convertShape(VectorOperators.S2I, IS, 1)).add(xh);
            long sc = blk + SCALES + (long) (2 * m) * G;
            IntVector scLo0 = (IntVector) ByteVector.fromMemorySegment(BL, p, sc, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
            IntVector scHi0 = (IntVector) ByteVector.fromMemorySegment(BL, p, sc + G, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
            IntVector scLo1 = (IntVector) ByteVector.fromMemorySegment(BL, p, sc + L, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
            IntVector scHi1 = (IntVector) ByteVector.fromMemorySegment(BL, p, sc + G + L, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
            dot0 = dot0.add(lo0.mul(scLo0)).add(hi0.mul(scHi0));
            dot1 = dot1.add(lo1.mul(scLo1)).add(hi1.mul(scHi1));
        }
        dot0.intoArray(dots, 0);
        dot1.intoArray(dots, L);
    }

    /**
     * Group {@code g} for the 16-bit integer tiles: {@code w[k·G + lane]} = level − 8 in both 16-bit halves of an
     * int, {@code wd}/{@code dmin[b·G + lane]} = d and dmin, {@code sc}/{@code mins[(8b + j)·G + lane]} = sub-block
     * j's scale and min.
     */
    static void unpackPairs(MemorySegment p, int g, int blocks, int[] w, float[] wd, float[] dmin, float[] sc, float[] mins) {
        long base = groupOffset(g, blocks);
        for (int b = 0; b < blocks; b++) {
            long blk = base + (long) b * GROUP_BLOCK;
            for (int lane = 0; lane < G; lane++) {
                wd[b * G + lane] = Float.float16ToFloat(p.get(I16, blk + D + 2L * lane));
                dmin[b * G + lane] = Float.float16ToFloat(p.get(I16, blk + DMIN + 2L * lane));
                for (int j = 0; j < 8; j++) {
                    sc[(8 * b + j) * G + lane] = p.get(ValueLayout.JAVA_BYTE, blk + SCALES + (long) j * G + lane);
                    mins[(8 * b + j) * G + lane] = p.get(ValueLayout.JAVA_BYTE, blk + MINS + (long) j * G + lane);
                }
            }
            for (int m = 0; m < 4; m++) {
                for (int s = 0; s < 32; s++) {
                    for (int part = 0; part < 2; part++) {
                        IntVector q = (IntVector) ByteVector.fromMemorySegment(BL, p, blk + QS + (long) (32 * m + s) * G + (long) part * L, LE)
                                .convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
                        IntVector lo = q.and(15).sub(8);
                        IntVector hi = q.lanewise(VectorOperators.LSHR, 4).sub(8);
                        int k = 256 * b + 64 * m + s;
                        lo.and(0xFFFF).or(lo.lanewise(VectorOperators.LSHL, 16)).intoArray(w, k * G + part * L);
                        hi.and(0xFFFF).or(hi.lanewise(VectorOperators.LSHL, 16)).intoArray(w, (k + 32) * G + part * L);
                    }
                }
            }
        }
    }
}
