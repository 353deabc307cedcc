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
 * Row-interleaved Q6_K ({@link Packed}): G rows in 16-bit lanes, the same 210 bytes per row and super-block as the
 * file, arranged for the lanes.
 *
 * <p>Per group and super-block: the G scales d (F16); the 16 sub-block scales, each as G int8 (one per row); then
 * the levels as 64 quads of 3 byte positions, each position G bytes (that byte of every row). Quad Q holds the four
 * elements {@code 128·(Q/32) + 32k + Q%32}, k = 0..3, which lie in four different sub-blocks: byte k (k &lt; 3) is
 * level k (6 bits) with bits 2k..2k+1 of level 3 on top. Levels 0..2 are then one mask each and level 3 three
 * shifts and masks, where the file's split into low nibbles and high bit pairs costs a shift, two masks and an or
 * per element.
 *
 * <p>The decode kernel multiplies levels by activation quants in 16-bit lanes. A signed product (level − 32)·q
 * reaches 4064, so eight of them fit a 16-bit sum: each accumulator covers half a sub-block, starts at
 * −32·Σq of its eight quants and then adds the unsigned products level·q. The additions wrap, but the result
 * (the exact signed sum, |·| ≤ 32512) is right modulo 2^16, so it is right. Half sub-blocks are widened to ints,
 * multiplied by the per-lane sub-block scale, summed over the super-block, and scaled (d_w per lane × d_x) into
 * float accumulators: the numerics of the row kernel.
 */
final class PackedQ6K {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final VectorSpecies<Byte> BG = VectorSpecies.of(byte.class, VectorShape.forBitSize(G * 8));
    private static final VectorSpecies<Byte> BL = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    /** Bytes of one group's super-block. */
    private static final int GROUP_BLOCK = G * 210;
    private static final int SCALES = 2 * G;
    private static final int LEVELS = 18 * G;

    private PackedQ6K() {
    }

    /** The interleaved copy of {@code w}'s whole groups of G rows. */
    static MemorySegment pack(Tensor w, Arena arena, MatmulKernel.Parallel parallel) {
        int blocks = w.rowLength() / 256;
        return Packed.packGroups(w, arena, parallel, blocks * GROUP_BLOCK, (rowBuf, lane, groupBuf) -> {
            for (int b = 0; b < blocks; b++) {
                int blk = 210 * b;
                int o = b * GROUP_BLOCK;
                groupBuf[o + 2 * lane] = rowBuf[blk + 208];
                groupBuf[o + 2 * lane + 1] = rowBuf[blk + 209];
                for (int s = 0; s < 16; s++) groupBuf[o + SCALES + s * G + lane] = rowBuf[blk + 192 + s];
                // Quad q holds elements 128h + l + 32k (h = q/32, l = q%32, k = 0..3): their low nibbles are in ql bytes
                // 64h + l (k = 0 low, 2 high) and 64h + l + 32 (k = 1 low, 3 high), all four high bit pairs in qh byte
                // 32h + l.
                for (int q = 0; q < 64; q++) {
                    int h = q >>> 5, l = q & 31;
                    int a = rowBuf[blk + 64 * h + l] & 0xFF;
                    int c = rowBuf[blk + 64 * h + l + 32] & 0xFF;
                    int hb = rowBuf[blk + 128 + 32 * h + l] & 0xFF;
                    int l0 = (a & 15) | (hb & 3) << 4;
                    int l1 = (c & 15) | (hb >>> 2 & 3) << 4;
                    int l2 = (a >>> 4) | (hb >>> 4 & 3) << 4;
                    int l3 = (c >>> 4) | (hb >>> 6) << 4;
                    int at = o + LEVELS + 3 * q * G + lane;
                    groupBuf[at] = (byte) (l0 | (l3 & 3) << 6);
                    groupBuf[at + G] = (byte) (l1 | (l3 >>> 2 & 3) << 6);
                    groupBuf[at + 2 * G] = (byte) (l2 | (l3 >>> 4 & 3) << 6);
                }
            }
        });
    }

    private static long groupOffset(int g, int blocks) {
        return (long) g * blocks * GROUP_BLOCK;
    }

    /** Group {@code g} element-major for the batched kernels: (level − 32) × sub-block scale, and d per block. */
    static void unpack(MemorySegment p, int g, int blocks, float[] w, float[] wd) {
        long base = groupOffset(g, blocks);
        for (int b = 0; b < blocks; b++) {
            long blk = base + (long) b * GROUP_BLOCK;
            Packed.scalesInto(p, blk, wd, b * G);
            for (int q = 0; q < 64; q++) {
                int e = 256 * b + 128 * (q >>> 5) + (q & 31);
                int s = 8 * (q >>> 5) + ((q >>> 4) & 1);
                long lv = blk + LEVELS + 3L * q * G;
                for (int part = 0; part < G / L; part++) {
                    long at = lv + part * L;
                    long sc = blk + SCALES + (long) s * G + part * L;
                    int wo = e * G + part * L;
                    // Written out, like the decode kernel: C2 would not inline helpers here.
                    IntVector v0 = (IntVector) ByteVector.fromMemorySegment(BL, p, at, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
                    IntVector v1 = (IntVector) ByteVector.fromMemorySegment(BL, p, at + G, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
                    IntVector v2 = (IntVector) ByteVector.fromMemorySegment(BL, p, at + 2 * G, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
                    IntVector v3 = v0.lanewise(VectorOperators.LSHR, 6).and(0x03)
                            .or(v1.lanewise(VectorOperators.LSHR, 4).and(0x0C))
                            .or(v2.lanewise(VectorOperators.LSHR, 2).and(0x30));
                    IntVector s0 = (IntVector) ByteVector.fromMemorySegment(BL, p, sc, LE).convertShape(VectorOperators.B2I, IS, 0);
                    IntVector s1 = (IntVector) ByteVector.fromMemorySegment(BL, p, sc + 2 * G, LE).convertShape(VectorOperators.B2I, IS, 0);
                    IntVector s2 = (IntVector) ByteVector.fromMemorySegment(BL, p, sc + 4 * G, LE).convertShape(VectorOperators.B2I, IS, 0);
                    IntVector s3 = (IntVector) ByteVector.fromMemorySegment(BL, p, sc + 6 * G, LE).convertShape(VectorOperators.B2I, IS, 0);
                    ((FloatVector) v0.and(0x3F).sub(32).mul(s0).convert(VectorOperators.I2F, 0)).intoArray(w, wo);
                    ((FloatVector) v1.and(0x3F).sub(32).mul(s1).convert(VectorOperators.I2F, 0)).intoArray(w, wo + 32 * G);
                    ((FloatVector) v2.and(0x3F).sub(32).mul(s2).convert(VectorOperators.I2F, 0)).intoArray(w, wo + 64 * G);
                    ((FloatVector) v3.sub(32).mul(s3).convert(VectorOperators.I2F, 0)).intoArray(w, wo + 96 * G);
                }
            }
        }
    }

    /**
     * Batched product (a prompt chunk) over whole groups, rows in lanes, {@link #TOKENS} tokens per pass (as
     * {@link PackedQ8#multiplyTokens}, but with the totals in an array: the int super-block sums need the
     * registers): the group is unpacked once ({@link #unpack}: (level − 32) × sub-block
     * scale as floats, element-major, which is rows in lanes), then each pass runs over it with two weight vectors
     * and 8 broadcast token quants per element. Sums of 32 such products are exact in fp32 (|Σ| ≤ 32·32·128·127 <
     * 2^24) and are added up per super-block as ints, then scaled by d_w × d_x: llama.cpp's integer arithmetic.
     */
    static void multiplyTokens(Tensor w, MemorySegment p, Activations a, float[] out, int g0, int g1) {
        int rows = Math.toIntExact(w.rows());
        int n = a.n;
        int blocks = n / 256;
        int batch = a.batch;
        float[] xq = a.qf;
        float[] xd = a.d;
        TokenScratch s = TOKEN_SCRATCH.get();
        s.ensure(n, blocks);
        float[] wf = s.w;
        float[] wd = s.wd;
        float[] bs = s.bsum;
        int[] isum = s.isum;
        float[] acc = s.acc;
        for (int g = g0; g < g1; g++) {
            unpack(p, g, blocks, wf, wd);
            for (int t0 = 0; t0 < batch; t0 += TOKENS) {
                java.util.Arrays.fill(acc, 0f);
                int x0 = t0 * n;
                int x1 = Math.min(t0 + 1, batch - 1) * n;
                int x2 = Math.min(t0 + 2, batch - 1) * n;
                int x3 = Math.min(t0 + 3, batch - 1) * n;
                int x4 = Math.min(t0 + 4, batch - 1) * n;
                int x5 = Math.min(t0 + 5, batch - 1) * n;
                int x6 = Math.min(t0 + 6, batch - 1) * n;
                int x7 = Math.min(t0 + 7, batch - 1) * n;
                for (int j = 0; j < blocks; j++) {
                    java.util.Arrays.fill(isum, 0);
                    for (int c = 256 * j; c < 256 * j + 256; c += 32) {
                        FloatVector s00 = FloatVector.zero(FS), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00, s40 = s00, s41 = s00, s50 = s00, s51 = s00, s60 = s00, s61 = s00, s70 = s00, s71 = s00;
                        for (int k = c; k < c + 32; k++) {
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
                        // Through an array and a loop, as in PackedQ8.multiplyTokens (C2's inlining budget).
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
                        for (int i = 0; i < 2 * TOKENS; i++) {
                            ((IntVector) FloatVector.fromArray(FS, bs, i * L).convert(VectorOperators.F2I, 0))
                                    .add(IntVector.fromArray(IS, isum, i * L)).intoArray(isum, i * L);
                        }
                    }
                    FloatVector d0 = FloatVector.fromArray(FS, wd, j * G);
                    FloatVector d1 = FloatVector.fromArray(FS, wd, j * G + L);
                    for (int i = 0; i < TOKENS; i++) {
                        float dx = xd[Math.min(t0 + i, batch - 1) * blocks + j];
                        FloatVector f0 = (FloatVector) IntVector.fromArray(IS, isum, 2 * i * L).convert(VectorOperators.I2F, 0);
                        FloatVector f1 = (FloatVector) IntVector.fromArray(IS, isum, (2 * i + 1) * L).convert(VectorOperators.I2F, 0);
                        f0.fma(d0.mul(dx), FloatVector.fromArray(FS, acc, 2 * i * L)).intoArray(acc, 2 * i * L);
                        f1.fma(d1.mul(dx), FloatVector.fromArray(FS, acc, (2 * i + 1) * L)).intoArray(acc, (2 * i + 1) * L);
                    }
                }
                int tEnd = Math.min(TOKENS, batch - t0);
                for (int i = 0; i < tEnd; i++) System.arraycopy(acc, 2 * i * L, out, (t0 + i) * rows + g * G, G);
            }
        }
    }

    /** Tokens per pass of {@link #multiplyTokens}. */
    static final int TOKENS = 8;

    /** One thread's buffers for {@link #multiplyTokens}. */
    private static final class TokenScratch {
        float[] w = new float[0];
        float[] wd = new float[0];
        final float[] bsum = new float[2 * TOKENS * L];
        final int[] isum = new int[2 * TOKENS * L];
        final float[] acc = new float[2 * TOKENS * L];

        void ensure(int n, int blocks) {
            if (w.length < n * G) w = new float[n * G];
            if (wd.length < blocks * G) wd = new float[blocks * G];
        }
    }

    private static final ThreadLocal<TokenScratch> TOKEN_SCRATCH = ThreadLocal.withInitial(TokenScratch::new);

    /** Rows {@code [g0·G, g1·G)} of {@code w} for every vector of the batch. */
    static void multiply(Tensor w, MemorySegment p, Activations a, float[] out, int g0, int g1) {
        int rows = Math.toIntExact(w.rows());
        int blocks = a.n / 256;
        int[] offsets = a.q6Offsets();
        float[] dw = new float[2 * L];
        for (int g = g0; g < g1; g++) {
            long base = groupOffset(g, blocks);
            // Small batches (a token and its drafts): tokens in pairs share each load's levels, each token's
            // arithmetic exactly that of the one-token kernel.
            int t = 0;
            for (; t + 2 <= a.batch; t += 2) q6_Kx2(p, base, blocks, dw, a, offsets, t, out, rows, g * G);
            if (t < a.batch) q6_K(p, base, blocks, dw, a, offsets, t * blocks, out, t * rows + g * G);
        }
    }

    /** Tokens t and t+1 over one group, as {@link #q6_K} does each. */
    private static void q6_Kx2(MemorySegment p, long base, int blocks, float[] dw, Activations a, int[] offsets, int t,
                               float[] out, int rows, int o) {
        int[] xp = a.qpairs();
        float[] xd = a.d;
        short[] sums = SUMS2.get();
        int ya = t * blocks, yb = ya + blocks;
        FloatVector acc0 = FloatVector.zero(VectorMatmul.FS), acc1 = acc0, bcc0 = acc0, bcc1 = acc0;
        long touched = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = base + (long) b * GROUP_BLOCK;
            int xa = (ya + b) * 256, xb = (yb + b) * 256;
            for (long h = blk + SCALES; h < blk + LEVELS; h += 64) touched += p.get(ValueLayout.JAVA_BYTE, h);
            IntVector d0h = (IntVector) ShortVector.fromMemorySegment(VectorMatmul.SS, p, blk, LE).convertShape(VectorOperators.S2I, IS, 0);
            d0h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(d0h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats().intoArray(dw, 0);
            IntVector d1h = (IntVector) ShortVector.fromMemorySegment(VectorMatmul.SS, p, blk + 2L * L, LE).convertShape(VectorOperators.S2I, IS, 0);
            d1h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(d1h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats().intoArray(dw, L);
            for (int r = 0; r < 8; r++) {
                int e0 = 128 * (r >>> 2) + 8 * (r & 3);
                int oa = (xa + e0) >>> 3, ob = (xb + e0) >>> 3;
                ShortVector c0 = IntVector.broadcast(IS, offsets[oa]).reinterpretAsShorts();
                ShortVector c1 = IntVector.broadcast(IS, offsets[oa + 4]).reinterpretAsShorts();
                ShortVector c2 = IntVector.broadcast(IS, offsets[oa + 8]).reinterpretAsShorts();
                ShortVector c3 = IntVector.broadcast(IS, offsets[oa + 12]).reinterpretAsShorts();
                ShortVector k0 = IntVector.broadcast(IS, offsets[ob]).reinterpretAsShorts();
                ShortVector k1 = IntVector.broadcast(IS, offsets[ob + 4]).reinterpretAsShorts();
                ShortVector k2 = IntVector.broadcast(IS, offsets[ob + 8]).reinterpretAsShorts();
                ShortVector k3 = IntVector.broadcast(IS, offsets[ob + 12]).reinterpretAsShorts();
                long lv = blk + LEVELS + 3L * 8 * r * G;
                for (int i = 0; i < 8; i++) {
                    long q = lv + 3L * i * G;
                    IntVector v0 = ((ShortVector) ByteVector.fromMemorySegment(BG, p, q, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, SS, 0)).reinterpretAsInts();
                    IntVector v1 = ((ShortVector) ByteVector.fromMemorySegment(BG, p, q + G, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, SS, 0)).reinterpretAsInts();
                    IntVector v2 = ((ShortVector) ByteVector.fromMemorySegment(BG, p, q + 2 * G, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, SS, 0)).reinterpretAsInts();
                    ShortVector l3 = v0.lanewise(VectorOperators.LSHR, 6).and(0x00030003)
                            .or(v1.lanewise(VectorOperators.LSHR, 4).and(0x000C000C))
                            .or(v2.lanewise(VectorOperators.LSHR, 2).and(0x00300030)).reinterpretAsShorts();
                    ShortVector l0 = v0.and(0x003F003F).reinterpretAsShorts();
                    ShortVector l1 = v1.and(0x003F003F).reinterpretAsShorts();
                    ShortVector l2 = v2.and(0x003F003F).reinterpretAsShorts();
                    int ea = xa + e0 + i, eb = xb + e0 + i;
                    c0 = l0.mul(IntVector.broadcast(IS, xp[ea]).reinterpretAsShorts()).add(c0);
                    c1 = l1.mul(IntVector.broadcast(IS, xp[ea + 32]).reinterpretAsShorts()).add(c1);
                    c2 = l2.mul(IntVector.broadcast(IS, xp[ea + 64]).reinterpretAsShorts()).add(c2);
                    c3 = l3.mul(IntVector.broadcast(IS, xp[ea + 96]).reinterpretAsShorts()).add(c3);
                    k0 = l0.mul(IntVector.broadcast(IS, xp[eb]).reinterpretAsShorts()).add(k0);
                    k1 = l1.mul(IntVector.broadcast(IS, xp[eb + 32]).reinterpretAsShorts()).add(k1);
                    k2 = l2.mul(IntVector.broadcast(IS, xp[eb + 64]).reinterpretAsShorts()).add(k2);
                    k3 = l3.mul(IntVector.broadcast(IS, xp[eb + 96]).reinterpretAsShorts()).add(k3);
                }
                c0.intoArray(sums, 4 * r * G);
                c1.intoArray(sums, (4 * r + 1) * G);
                c2.intoArray(sums, (4 * r + 2) * G);
                c3.intoArray(sums, (4 * r + 3) * G);
                k0.intoArray(sums, (32 + 4 * r) * G);
                k1.intoArray(sums, (32 + 4 * r + 1) * G);
                k2.intoArray(sums, (32 + 4 * r + 2) * G);
                k3.intoArray(sums, (32 + 4 * r + 3) * G);
            }
            IntVector i0 = IntVector.zero(IS), i1 = i0, j0 = i0, j1 = i0;
            for (int j = 0; j < 32; j++) {
                int r = j >>> 2, k = j & 3;
                int sb = 8 * (r >>> 2) + 2 * k + ((r >>> 1) & 1);
                long so = blk + SCALES + (long) sb * G;
                IntVector s0 = (IntVector) ByteVector.fromMemorySegment(BL, p, so, LE).convertShape(VectorOperators.B2I, IS, 0);
                IntVector s1 = (IntVector) ByteVector.fromMemorySegment(BL, p, so + L, LE).convertShape(VectorOperators.B2I, IS, 0);
                ShortVector c = ShortVector.fromArray(SS, sums, j * G);
                i0 = ((IntVector) c.convertShape(VectorOperators.S2I, IS, 0)).mul(s0).add(i0);
                i1 = ((IntVector) c.convertShape(VectorOperators.S2I, IS, 1)).mul(s1).add(i1);
                ShortVector d = ShortVector.fromArray(SS, sums, (32 + j) * G);
                j0 = ((IntVector) d.convertShape(VectorOperators.S2I, IS, 0)).mul(s0).add(j0);
                j1 = ((IntVector) d.convertShape(VectorOperators.S2I, IS, 1)).mul(s1).add(j1);
            }
            float da = xd[ya + b], db = xd[yb + b];
            FloatVector w0 = FloatVector.fromArray(VectorMatmul.FS, dw, 0), w1 = FloatVector.fromArray(VectorMatmul.FS, dw, L);
            acc0 = ((FloatVector) i0.convert(VectorOperators.I2F, 0)).fma(w0.mul(da), acc0);
            acc1 = ((FloatVector) i1.convert(VectorOperators.I2F, 0)).fma(w1.mul(da), acc1);
            bcc0 = ((FloatVector) j0.convert(VectorOperators.I2F, 0)).fma(w0.mul(db), bcc0);
            bcc1 = ((FloatVector) j1.convert(VectorOperators.I2F, 0)).fma(w1.mul(db), bcc1);
        }
        if (touched == Long.MIN_VALUE) acc0 = acc0.add(1);   // never: keeps the reads above from being dropped
        acc0.intoArray(out, t * rows + o);
        acc1.intoArray(out, t * rows + o + L);
        bcc0.intoArray(out, (t + 1) * rows + o);
        bcc1.intoArray(out, (t + 1) * rows + o + L);
    }

    private static void q6_K(MemorySegment p, long base, int blocks, float[] dw, Activations a, int[] offsets, int ab, float[] out, int o) {
        int[] xp = a.qpairs();
        float[] xd = a.d;
        short[] sums = SUMS.get();
        FloatVector acc0 = FloatVector.zero(VectorMatmul.FS), acc1 = acc0;
        long touched = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = base + (long) b * GROUP_BLOCK;
            int xo = (ab + b) * 256;
            // One byte of each line of the scales, read before the levels: reads in address order keep the
            // hardware prefetcher streaming from memory (the scales themselves are used after the levels).
            for (long h = blk + SCALES; h < blk + LEVELS; h += 64) touched += p.get(ValueLayout.JAVA_BYTE, h);
            // The block's d (its first line, so still in address order), through dw so no vector lives across the runs;
            // F16 → F32 written out, not Packed.scalesInto: a call standing in this kernel measured 20.5 → 16.6 GB/s.
            IntVector d0h = (IntVector) ShortVector.fromMemorySegment(VectorMatmul.SS, p, blk, LE).convertShape(VectorOperators.S2I, IS, 0);
            d0h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(d0h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats().intoArray(dw, 0);
            IntVector d1h = (IntVector) ShortVector.fromMemorySegment(VectorMatmul.SS, p, blk + 2L * L, LE).convertShape(VectorOperators.S2I, IS, 0);
            d1h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(d1h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats().intoArray(dw, L);
            // Eight runs of eight quads: run r covers elements 128h + 32k + 8·(r%4) + i (h = r/4, i = 0..7) of the
            // four sub-blocks 8h + 2k + (r%4)/2. Its four 16-bit sums go to sums[(4r + k)·G ...] and are widened
            // and scaled after the runs (one loop, so that C2 compiles the kernel whole).
            for (int r = 0; r < 8; r++) {
                int e0 = xo + 128 * (r >>> 2) + 8 * (r & 3);
                ShortVector c0 = IntVector.broadcast(IS, offsets[e0 >>> 3]).reinterpretAsShorts();
                ShortVector c1 = IntVector.broadcast(IS, offsets[(e0 >>> 3) + 4]).reinterpretAsShorts();
                ShortVector c2 = IntVector.broadcast(IS, offsets[(e0 >>> 3) + 8]).reinterpretAsShorts();
                ShortVector c3 = IntVector.broadcast(IS, offsets[(e0 >>> 3) + 12]).reinterpretAsShorts();
                long lv = blk + LEVELS + 3L * 8 * r * G;
                for (int i = 0; i < 8; i++) {
                    long q = lv + 3L * i * G;
                    IntVector v0 = ((ShortVector) ByteVector.fromMemorySegment(BG, p, q, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, SS, 0)).reinterpretAsInts();
                    IntVector v1 = ((ShortVector) ByteVector.fromMemorySegment(BG, p, q + G, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, SS, 0)).reinterpretAsInts();
                    IntVector v2 = ((ShortVector) ByteVector.fromMemorySegment(BG, p, q + 2 * G, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, SS, 0)).reinterpretAsInts();
                    IntVector v3 = v0.lanewise(VectorOperators.LSHR, 6).and(0x00030003)
                            .or(v1.lanewise(VectorOperators.LSHR, 4).and(0x000C000C))
                            .or(v2.lanewise(VectorOperators.LSHR, 2).and(0x00300030));
                    int e = e0 + i;
                    c0 = v0.and(0x003F003F).reinterpretAsShorts().mul(IntVector.broadcast(IS, xp[e]).reinterpretAsShorts()).add(c0);
                    c1 = v1.and(0x003F003F).reinterpretAsShorts().mul(IntVector.broadcast(IS, xp[e + 32]).reinterpretAsShorts()).add(c1);
                    c2 = v2.and(0x003F003F).reinterpretAsShorts().mul(IntVector.broadcast(IS, xp[e + 64]).reinterpretAsShorts()).add(c2);
                    c3 = v3.reinterpretAsShorts().mul(IntVector.broadcast(IS, xp[e + 96]).reinterpretAsShorts()).add(c3);
                }
                c0.intoArray(sums, 4 * r * G);
                c1.intoArray(sums, (4 * r + 1) * G);
                c2.intoArray(sums, (4 * r + 2) * G);
                c3.intoArray(sums, (4 * r + 3) * G);
            }
            IntVector i0 = IntVector.zero(IS), i1 = i0;
            for (int j = 0; j < 32; j++) {
                int r = j >>> 2, k = j & 3;
                int sb = 8 * (r >>> 2) + 2 * k + ((r >>> 1) & 1);
                ShortVector c = ShortVector.fromArray(SS, sums, j * G);
                long so = blk + SCALES + (long) sb * G;
                // Loads written out: in a kernel this big C2 stops inlining small helpers, and their vectors get boxed.
                IntVector s0 = (IntVector) ByteVector.fromMemorySegment(BL, p, so, LE).convertShape(VectorOperators.B2I, IS, 0);
                IntVector s1 = (IntVector) ByteVector.fromMemorySegment(BL, p, so + L, LE).convertShape(VectorOperators.B2I, IS, 0);
                i0 = ((IntVector) c.convertShape(VectorOperators.S2I, IS, 0)).mul(s0).add(i0);
                i1 = ((IntVector) c.convertShape(VectorOperators.S2I, IS, 1)).mul(s1).add(i1);
            }
            float dx = xd[ab + b];
            acc0 = ((FloatVector) i0.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(VectorMatmul.FS, dw, 0).mul(dx), acc0);
            acc1 = ((FloatVector) i1.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(VectorMatmul.FS, dw, L).mul(dx), acc1);
        }
        if (touched == Long.MIN_VALUE) acc0 = acc0.add(1);   // never: keeps the reads above from being dropped
        acc0.intoArray(out, o);
        acc1.intoArray(out, o + L);
    }

    /** Per thread: the 32 half-sub-block sums of a super-block, G lanes each. */
    private static final ThreadLocal<short[]> SUMS = ThreadLocal.withInitial(() -> new short[32 * G]);
    /** The same for two tokens. */
    private static final ThreadLocal<short[]> SUMS2 = ThreadLocal.withInitial(() -> new short[64 * G]);
}
