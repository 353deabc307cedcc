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
            // Small batches (a token and its drafts): each weight vector, loaded and converted once, serves 2 or 4
            // tokens, with each token's arithmetic exactly that of the one-token kernel.
            int t = 0;
            for (; t + 3 <= a.batch; t += 4) {
                int t3 = Math.min(t + 3, a.batch - 1);
                dot4(p, base, blocks, a, t, t3, out, rows, g * G, t + 3 < a.batch);
            }
            if (t + 2 == a.batch) dot2(p, base, blocks, a, t, out, rows, g * G);
            else if (t + 1 == a.batch) dot(p, base, blocks, a, t * blocks, out, t * rows + g * G);
        }
    }

    /** Tokens t and t+1 over one group, as {@link #dot} does each. */
    private static void dot2(MemorySegment p, long base, int blocks, Activations a, int t, float[] out, int rows, int o) {
        float[] xq = a.qf;
        float[] xd = a.d;
        int xa = t * a.n, xb = xa + a.n, ya = t * blocks, yb = ya + blocks;
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, b0 = a0, b1 = a0;
        for (int b = 0; b < blocks; b++) {
            long blk = base + (long) b * GROUP_BLOCK;
            FloatVector sa0 = FloatVector.zero(FS), sa1 = sa0, sb0 = sa0, sb1 = sa0;
            for (int k = 0; k < 32; k++) {
                long e = blk + 2 * G + (long) k * G;
                FloatVector w0 = (FloatVector) ByteVector.fromMemorySegment(BL, p, e, LE).convertShape(VectorOperators.B2F, FS, 0);
                FloatVector w1 = (FloatVector) ByteVector.fromMemorySegment(BL, p, e + L, LE).convertShape(VectorOperators.B2F, FS, 0);
                FloatVector x = FloatVector.broadcast(FS, xq[xa + 32 * b + k]);
                sa0 = w0.fma(x, sa0);
                sa1 = w1.fma(x, sa1);
                x = FloatVector.broadcast(FS, xq[xb + 32 * b + k]);
                sb0 = w0.fma(x, sb0);
                sb1 = w1.fma(x, sb1);
            }
            IntVector d0h = (IntVector) ShortVector.fromMemorySegment(VectorMatmul.SS, p, blk, LE).convertShape(VectorOperators.S2I, IS, 0);
            FloatVector d0 = d0h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(d0h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            IntVector d1h = (IntVector) ShortVector.fromMemorySegment(VectorMatmul.SS, p, blk + 2L * L, LE).convertShape(VectorOperators.S2I, IS, 0);
            FloatVector d1 = d1h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(d1h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            float da = xd[ya + b], db = xd[yb + b];
            a0 = sa0.fma(d0.mul(da), a0);
            a1 = sa1.fma(d1.mul(da), a1);
            b0 = sb0.fma(d0.mul(db), b0);
            b1 = sb1.fma(d1.mul(db), b1);
        }
        a0.intoArray(out, t * rows + o);
        a1.intoArray(out, t * rows + o + L);
        b0.intoArray(out, (t + 1) * rows + o);
        b1.intoArray(out, (t + 1) * rows + o + L);
    }

    /**
     * Tokens t, t+1, t+2 and {@code t3} (t+3, or a repeat of t+2 whose results are not stored when
     * {@code storeLast} is false) over one group, as {@link #dot} does each.
     */
    private static void dot4(MemorySegment p, long base, int blocks, Activations a, int t, int t3, float[] out, int rows, int o,
                             boolean storeLast) {
        float[] xq = a.qf;
        float[] xd = a.d;
        int n = a.n;
        int xa = t * n, xb = xa + n, xc = xb + n, xe = t3 * n;
        int ya = t * blocks, yb = ya + blocks, yc = yb + blocks, ye = t3 * blocks;
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, e0 = a0, e1 = a0;
        for (int b = 0; b < blocks; b++) {
            long blk = base + (long) b * GROUP_BLOCK;
            FloatVector sa0 = FloatVector.zero(FS), sa1 = sa0, sb0 = sa0, sb1 = sa0, sc0 = sa0, sc1 = sa0, se0 = sa0, se1 = sa0;
            for (int k = 0; k < 32; k++) {
                long e = blk + 2 * G + (long) k * G;
                FloatVector w0 = (FloatVector) ByteVector.fromMemorySegment(BL, p, e, LE).convertShape(VectorOperators.B2F, FS, 0);
                FloatVector w1 = (FloatVector) ByteVector.fromMemorySegment(BL, p, e + L, LE).convertShape(VectorOperators.B2F, FS, 0);
                int kk = 32 * b + k;
                FloatVector x = FloatVector.broadcast(FS, xq[xa + kk]);
                sa0 = w0.fma(x, sa0);
                sa1 = w1.fma(x, sa1);
                x = FloatVector.broadcast(FS, xq[xb + kk]);
                sb0 = w0.fma(x, sb0);
                sb1 = w1.fma(x, sb1);
                x = FloatVector.broadcast(FS, xq[xc + kk]);
                sc0 = w0.fma(x, sc0);
                sc1 = w1.fma(x, sc1);
                x = FloatVector.broadcast(FS, xq[xe + kk]);
                se0 = w0.fma(x, se0);
                se1 = w1.fma(x, se1);
            }
            IntVector d0h = (IntVector) ShortVector.fromMemorySegment(VectorMatmul.SS, p, blk, LE).convertShape(VectorOperators.S2I, IS, 0);
            FloatVector d0 = d0h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(d0h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            IntVector d1h = (IntVector) ShortVector.fromMemorySegment(VectorMatmul.SS, p, blk + 2L * L, LE).convertShape(VectorOperators.S2I, IS, 0);
            FloatVector d1 = d1h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(d1h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            float da = xd[ya + b], db = xd[yb + b], dc = xd[yc + b], de = xd[ye + b];
            a0 = sa0.fma(d0.mul(da), a0);
            a1 = sa1.fma(d1.mul(da), a1);
            b0 = sb0.fma(d0.mul(db), b0);
            b1 = sb1.fma(d1.mul(db), b1);
            c0 = sc0.fma(d0.mul(dc), c0);
            c1 = sc1.fma(d1.mul(dc), c1);
            e0 = se0.fma(d0.mul(de), e0);
            e1 = se1.fma(d1.mul(de), e1);
        }
        a0.intoArray(out, t * rows + o);
        a1.intoArray(out, t * rows + o + L);
        b0.intoArray(out, (t + 1) * rows + o);
        b1.intoArray(out, (t + 1) * rows + o + L);
        c0.intoArray(out, (t + 2) * rows + o);
        c1.intoArray(out, (t + 2) * rows + o + L);
        if (storeLast) {
            e0.intoArray(out, t3 * rows + o);
            e1.intoArray(out, t3 * rows + o + L);
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
    static final int TOKENS = 6;

    /**
     * Batched product (a prompt chunk) over whole groups, rows in lanes as in the one-token kernel. Each group is
     * converted to floats once ({@link #unpack}: element-major, which is rows in lanes), then passes of
     * {@link #TOKENS} tokens run over it: per element two weight vectors (the G rows) and 6 broadcast token quants
     * feed 12 FMAs into exact block sums (|Σ| ≤ 32·127² < 2^24), and each block closes with one FMA per sum by
     * d_w (per lane) × d_x into totals that stay in registers for the whole row: no accumulator array, no
     * transposed activations, each token's G results stored once, contiguous. The last passes take 5 tokens so
     * that the passes fit the batch ({@link #narrowPasses}; C2 compiles the loop once for each width); a pass past
     * the end of a small batch repeats its last token, and those totals are not stored.
     */
    static void multiplyTokens(Tensor w, MemorySegment p, Activations a, float[] out, int g0, int g1) {
        int rows = Math.toIntExact(w.rows());
        int n = a.n;
        int blocks = n / 32;
        int batch = a.batch;
        float[] xq = a.qf;
        float[] xd = a.d;
        Scratch s = SCRATCH.get();
        s.ensureGroup(n, blocks);
        float[] wf = s.gw;
        float[] wd = s.gwd;
        // The passes of 6 tokens come first, so a pass is one of them while it starts before their end.
        int sixEnd = TOKENS * (passes(batch) - narrowPasses(batch));
        for (int g = g0; g < g1; g++) {
            unpack(p, g, blocks, wf, wd);
            for (int t0 = 0; t0 < batch; t0 += t0 < sixEnd ? TOKENS : TOKENS - 1) {
                boolean six = t0 < sixEnd;
                int u0 = Math.min(t0 + 0, batch - 1);
                int x0 = u0 * n, y0 = u0 * blocks;
                int u1 = Math.min(t0 + 1, batch - 1);
                int x1 = u1 * n, y1 = u1 * blocks;
                int u2 = Math.min(t0 + 2, batch - 1);
                int x2 = u2 * n, y2 = u2 * blocks;
                int u3 = Math.min(t0 + 3, batch - 1);
                int x3 = u3 * n, y3 = u3 * blocks;
                int u4 = Math.min(t0 + 4, batch - 1);
                int x4 = u4 * n, y4 = u4 * blocks;
                int u5 = Math.min(t0 + 5, batch - 1);
                int x5 = u5 * n, y5 = u5 * blocks;
                FloatVector a00 = FloatVector.zero(FS), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
                for (int b = 0; b < blocks; b++) {
                    FloatVector s00 = FloatVector.zero(FS), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00, s40 = s00, s41 = s00, s50 = s00, s51 = s00;
                    for (int k = 32 * b; k < 32 * b + 32; k++) {
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
                        if (six) {
                            FloatVector q5 = FloatVector.broadcast(FS, xq[x5 + k]);
                            s50 = w0.fma(q5, s50);
                            s51 = w1.fma(q5, s51);
                        }
                    }
                    FloatVector d0 = FloatVector.fromArray(FS, wd, b * G);
                    FloatVector d1 = FloatVector.fromArray(FS, wd, b * G + L);
                    float e0 = xd[y0 + b];
                    a00 = s00.fma(d0.mul(e0), a00);
                    a01 = s01.fma(d1.mul(e0), a01);
                    float e1 = xd[y1 + b];
                    a10 = s10.fma(d0.mul(e1), a10);
                    a11 = s11.fma(d1.mul(e1), a11);
                    float e2 = xd[y2 + b];
                    a20 = s20.fma(d0.mul(e2), a20);
                    a21 = s21.fma(d1.mul(e2), a21);
                    float e3 = xd[y3 + b];
                    a30 = s30.fma(d0.mul(e3), a30);
                    a31 = s31.fma(d1.mul(e3), a31);
                    float e4 = xd[y4 + b];
                    a40 = s40.fma(d0.mul(e4), a40);
                    a41 = s41.fma(d1.mul(e4), a41);
                    if (six) {
                        float e5 = xd[y5 + b];
                        a50 = s50.fma(d0.mul(e5), a50);
                        a51 = s51.fma(d1.mul(e5), a51);
                    }
                }
                int o = g * G;
                if (t0 + 0 < batch) { a00.intoArray(out, (t0 + 0) * rows + o); a01.intoArray(out, (t0 + 0) * rows + o + L); }
                if (t0 + 1 < batch) { a10.intoArray(out, (t0 + 1) * rows + o); a11.intoArray(out, (t0 + 1) * rows + o + L); }
                if (t0 + 2 < batch) { a20.intoArray(out, (t0 + 2) * rows + o); a21.intoArray(out, (t0 + 2) * rows + o + L); }
                if (t0 + 3 < batch) { a30.intoArray(out, (t0 + 3) * rows + o); a31.intoArray(out, (t0 + 3) * rows + o + L); }
                if (t0 + 4 < batch) { a40.intoArray(out, (t0 + 4) * rows + o); a41.intoArray(out, (t0 + 4) * rows + o + L); }
                if (six && t0 + 5 < batch) { a50.intoArray(out, (t0 + 5) * rows + o); a51.intoArray(out, (t0 + 5) * rows + o + L); }
            }
        }
    }

    /** Passes of {@link #multiplyTokens} over {@code batch} tokens. */
    static int passes(int batch) {
        return (batch + TOKENS - 1) / TOKENS;
    }

    /**
     * How many of those passes take 5 tokens instead of 6 so that they cover the batch without unused slots (128
     * tokens: 18 × 6 + 4 × 5 instead of 22 × 6 with 4 slots wasted); a batch too small for that (fewer than 20
     * tokens, some sizes) keeps the unused slots it cannot avoid.
     */
    static int narrowPasses(int batch) {
        int passes = passes(batch);
        return Math.min(passes, passes * TOKENS - batch);
    }

    /** One thread's unpacked group for {@link #multiplyTokens}. */
    private static final class Scratch {
        float[] gw = new float[0];
        float[] gwd = new float[0];

        void ensureGroup(int n, int blocks) {
            if (gw.length < n * G) gw = new float[n * G];
            if (gwd.length < blocks * G) gwd = new float[blocks * G];
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
