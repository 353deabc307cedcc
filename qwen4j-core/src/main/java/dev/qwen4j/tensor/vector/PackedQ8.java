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
import static dev.qwen4j.tensor.vector.VectorMatmul.FS;
import static dev.qwen4j.tensor.vector.VectorMatmul.IS;
import static dev.qwen4j.tensor.vector.VectorMatmul.L;

/**
 * Q8_0 in groups of {@link Packed#G} interleaved rows: per group and block, the G scales (F16), then for each of
 * the 32 elements its quant in each of the G rows (G consecutive bytes). The one-token kernel holds the rows in
 * float lanes (two vectors of L): each element is one widening load, one conversion and one FMA with the
 * broadcast activation quant per L rows, and the block closes with one FMA by d_w (per lane) × d_x, where the
 * row layout needs a horizontal step per row. Block sums stay exact integers in float (|Σ| ≤ 32·127² < 2^24).
 */
final class PackedQ8 {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final VectorSpecies<Byte> BL = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    /** Bytes of one group's block. */
    static final int GROUP_BLOCK = 34 * G;

    private PackedQ8() {
    }

    static MemorySegment pack(Tensor w, Arena arena, MatmulKernel.Parallel parallel) {
        int blocks = w.rowLength() / 32;
        return Packed.packGroups(w, arena, parallel, blocks * GROUP_BLOCK, (row, lane, out) -> {
            for (int b = 0; b < blocks; b++) {
                int o = b * GROUP_BLOCK;
                out[o + 2 * lane] = row[34 * b];
                out[o + 2 * lane + 1] = row[34 * b + 1];
                for (int k = 0; k < 32; k++) out[o + 2 * G + k * G + lane] = row[34 * b + 2 + k];
            }
        });
    }

    private static long groupOffset(int g, int blocks) {
        return (long) g * blocks * GROUP_BLOCK;
    }

    static void multiply(Tensor w, MemorySegment p, Activations a, float[] out, int g0, int g1) {
        int rows = Math.toIntExact(w.rows());
        int blocks = a.n / 32;
        for (int g = g0; g < g1; g++) {
            long base = groupOffset(g, blocks);
            for (int t = 0; t < a.batch; t++) dot(p, base, blocks, a, t * blocks, out, t * rows + g * G);
        }
    }

    private static void dot(MemorySegment p, long base, int blocks, Activations a, int ab, float[] out, int o) {
        float[] xq = a.qf;
        float[] xd = a.d;
        FloatVector acc0 = FloatVector.zero(FS), acc1 = acc0;
        for (int b = 0; b < blocks; b++) {
            long blk = base + (long) b * GROUP_BLOCK;
            int xo = (ab + b) * 32;
            FloatVector s0 = FloatVector.zero(FS), s1 = s0;
            for (int k = 0; k < 32; k++) {
                FloatVector x = FloatVector.broadcast(FS, xq[xo + k]);
                long e = blk + 2 * G + (long) k * G;
                FloatVector w0 = (FloatVector) ByteVector.fromMemorySegment(BL, p, e, LE).convertShape(VectorOperators.B2F, FS, 0);
                FloatVector w1 = (FloatVector) ByteVector.fromMemorySegment(BL, p, e + L, LE).convertShape(VectorOperators.B2F, FS, 0);
                s0 = w0.fma(x, s0);
                s1 = w1.fma(x, s1);
            }
            float dx = xd[ab + b];
            // F16 → F32 written out (VectorMatmul.halfs): C2 does not inline that helper here, and each call boxes.
            IntVector d0h = (IntVector) ShortVector.fromMemorySegment(VectorMatmul.SS, p, blk, LE).convertShape(VectorOperators.S2I, IS, 0);
            FloatVector d0 = d0h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(d0h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            IntVector d1h = (IntVector) ShortVector.fromMemorySegment(VectorMatmul.SS, p, blk + 2L * L, LE).convertShape(VectorOperators.S2I, IS, 0);
            FloatVector d1 = d1h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(d1h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            acc0 = s0.fma(d0.mul(dx), acc0);
            acc1 = s1.fma(d1.mul(dx), acc1);
        }
        acc0.intoArray(out, o);
        acc1.intoArray(out, o + L);
    }

    /** Tokens per pass of {@link #multiplyTokens}. */
    static final int TOKENS = 8;
    /** {@link #multiplyTokens} needs 2·TOKENS + 3 vector registers: 512-bit vectors (AVX-512, 32 registers) only. */
    static final boolean TOKENS_IN_REGISTERS = L == 16;

    /**
     * Batched product (a prompt chunk) over whole groups, rows in lanes as in the one-token kernel. Per group and
     * block the 32×G quants are converted to floats once (4 KB, stays in L1), then each pass of {@link #TOKENS}
     * tokens runs over them: per element two weight vectors (the G rows) and 8 broadcast token quants feed 16
     * FMAs into exact block sums, which close with one FMA each by d_w (per lane) × d_x into the tokens' G
     * results. Unlike the tiles of {@link VectorGemm}, it needs no unpacked copy of the group, no transposed
     * activations and no scattered stores: each token's G results leave as one contiguous copy. A pass past the
     * end of the batch repeats its last token; those sums are not stored.
     */
    static void multiplyTokens(Tensor w, MemorySegment p, Activations a, float[] out, int g0, int g1) {
        int rows = Math.toIntExact(w.rows());
        int n = a.n;
        int blocks = n / 32;
        int batch = a.batch;
        float[] xq = a.qf;
        float[] xd = a.d;
        Scratch s = SCRATCH.get();
        s.ensure(batch);
        float[] acc = s.acc;
        float[] bs = s.bsum;
        float[] wf = s.wf;
        float[] wd = s.wd;
        for (int g = g0; g < g1; g++) {
            long base = groupOffset(g, blocks);
            java.util.Arrays.fill(acc, 0, batch * G, 0f);
            for (int b = 0; b < blocks; b++) {
                long blk = base + (long) b * GROUP_BLOCK;
                // The block's scales (scalar: a vector conversion here is not inlined and would box) and quants.
                for (int lane = 0; lane < G; lane++) wd[lane] = Float.float16ToFloat(p.get(F16, blk + 2L * lane));
                for (int k = 0; k < 32; k += 2) {
                    ByteVector v = ByteVector.fromMemorySegment(ByteVector.SPECIES_512, p, blk + 2 * G + (long) k * G, LE);
                    ((FloatVector) v.convertShape(VectorOperators.B2F, FS, 0)).intoArray(wf, k * G);
                    ((FloatVector) v.convertShape(VectorOperators.B2F, FS, 1)).intoArray(wf, k * G + L);
                    ((FloatVector) v.convertShape(VectorOperators.B2F, FS, 2)).intoArray(wf, k * G + 2 * L);
                    ((FloatVector) v.convertShape(VectorOperators.B2F, FS, 3)).intoArray(wf, k * G + 3 * L);
                }
                FloatVector d0 = FloatVector.fromArray(FS, wd, 0);
                FloatVector d1 = FloatVector.fromArray(FS, wd, L);
                for (int t0 = 0; t0 < batch; t0 += TOKENS) {
                    int x0 = t0 * n + 32 * b;
                    int x1 = Math.min(t0 + 1, batch - 1) * n + 32 * b;
                    int x2 = Math.min(t0 + 2, batch - 1) * n + 32 * b;
                    int x3 = Math.min(t0 + 3, batch - 1) * n + 32 * b;
                    int x4 = Math.min(t0 + 4, batch - 1) * n + 32 * b;
                    int x5 = Math.min(t0 + 5, batch - 1) * n + 32 * b;
                    int x6 = Math.min(t0 + 6, batch - 1) * n + 32 * b;
                    int x7 = Math.min(t0 + 7, batch - 1) * n + 32 * b;
                    FloatVector s00 = FloatVector.zero(FS), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00, s40 = s00, s41 = s00, s50 = s00, s51 = s00, s60 = s00, s61 = s00, s70 = s00, s71 = s00;
                    for (int k = 0; k < 32; k++) {
                        FloatVector w0 = FloatVector.fromArray(FS, wf, k * G);
                        FloatVector w1 = FloatVector.fromArray(FS, wf, k * G + L);
                        FloatVector q0 = FloatVector.broadcast(FS, xq[x0 + k]);
                        s00 = w0.fma(q0, s00);
                        s01 = w1.fma(q0, s01);
                        FloatVector q1 = FloatVector.broadcast(FS, xq[x1 + k]);
                        s10 = w0.fma(q1, s10);
                        s11 = w1.fma(q1, s11);
                        FloatVector q2 = FloatVector.broadcast(FS, xq[x2 + k]);
                        s20 = w0.fma(q2, s20);
                        s21 = w1.fma(q2, s21);
                        FloatVector q3 = FloatVector.broadcast(FS, xq[x3 + k]);
                        s30 = w0.fma(q3, s30);
                        s31 = w1.fma(q3, s31);
                        FloatVector q4 = FloatVector.broadcast(FS, xq[x4 + k]);
                        s40 = w0.fma(q4, s40);
                        s41 = w1.fma(q4, s41);
                        FloatVector q5 = FloatVector.broadcast(FS, xq[x5 + k]);
                        s50 = w0.fma(q5, s50);
                        s51 = w1.fma(q5, s51);
                        FloatVector q6 = FloatVector.broadcast(FS, xq[x6 + k]);
                        s60 = w0.fma(q6, s60);
                        s61 = w1.fma(q6, s61);
                        FloatVector q7 = FloatVector.broadcast(FS, xq[x7 + k]);
                        s70 = w0.fma(q7, s70);
                        s71 = w1.fma(q7, s71);
                    }
                    // Block sums through an array and a loop: written-out closings for all of them exceed C2's
                    // inlining node budget, and a helper call left standing boxes its vector.
                    s00.intoArray(bs, 0);
                    s01.intoArray(bs, 1 * L);
                    s10.intoArray(bs, 2 * L);
                    s11.intoArray(bs, 3 * L);
                    s20.intoArray(bs, 4 * L);
                    s21.intoArray(bs, 5 * L);
                    s30.intoArray(bs, 6 * L);
                    s31.intoArray(bs, 7 * L);
                    s40.intoArray(bs, 8 * L);
                    s41.intoArray(bs, 9 * L);
                    s50.intoArray(bs, 10 * L);
                    s51.intoArray(bs, 11 * L);
                    s60.intoArray(bs, 12 * L);
                    s61.intoArray(bs, 13 * L);
                    s70.intoArray(bs, 14 * L);
                    s71.intoArray(bs, 15 * L);
                    int tEnd = Math.min(TOKENS, batch - t0);
                    for (int i = 0; i < tEnd; i++) {
                        float dx = xd[(t0 + i) * blocks + b];
                        int o = (t0 + i) * G;
                        FloatVector.fromArray(FS, bs, 2 * i * L).fma(d0.mul(dx), FloatVector.fromArray(FS, acc, o)).intoArray(acc, o);
                        FloatVector.fromArray(FS, bs, (2 * i + 1) * L).fma(d1.mul(dx), FloatVector.fromArray(FS, acc, o + L)).intoArray(acc, o + L);
                    }
                }
            }
            for (int t = 0; t < batch; t++) System.arraycopy(acc, t * G, out, t * rows + g * G, G);
        }
    }

    /** One thread's buffers for {@link #multiplyTokens}. */
    private static final class Scratch {
        float[] acc = new float[0];
        final float[] bsum = new float[2 * TOKENS * L];
        final float[] wf = new float[32 * G];
        final float[] wd = new float[G];

        void ensure(int batch) {
            if (acc.length < batch * G) acc = new float[batch * G];
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Group {@code g} element-major for the batched kernels: {@code w[k·G + lane]} = quant, {@code wd[b·G + lane]} = d. */
    static void unpack(MemorySegment p, int g, int blocks, float[] w, float[] wd) {
        long base = groupOffset(g, blocks);
        for (int b = 0; b < blocks; b++) {
            long blk = base + (long) b * GROUP_BLOCK;
            Packed.scalesInto(p, blk, wd, b * G);
            for (int k = 0; k < 32; k++) {
                long e = blk + 2 * G + (long) k * G;
                // Written out, like the scales above: the helper is not inlined here and would box.
                ((FloatVector) ByteVector.fromMemorySegment(BL, p, e, LE).convertShape(VectorOperators.B2F, FS, 0))
                        .intoArray(w, (32 * b + k) * G);
                ((FloatVector) ByteVector.fromMemorySegment(BL, p, e + L, LE).convertShape(VectorOperators.B2F, FS, 0))
                        .intoArray(w, (32 * b + k) * G + L);
            }
        }
    }
}
