package dev.qwen4j.tensor.vector;

import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.tensor.Tensor;
import dev.qwen4j.tensor.quant.Activations;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

import static dev.qwen4j.tensor.vector.VectorMatmul.FS;
import static dev.qwen4j.tensor.vector.VectorMatmul.IS;
import static dev.qwen4j.tensor.vector.VectorMatmul.L;

/**
 * Batched weight products (a prompt's tokens at once) with the tokens in SIMD lanes. Four weight rows are unpacked
 * once per call into float scratch (small integers for quantized types: level, or level × sub-block scale), then
 * every tile of 2·L tokens runs through them: each step broadcasts one weight of each of the four rows and loads
 * one element of 2·L tokens ({@link Activations#xt}), eight FMAs for six loads, with the eight sums in registers.
 *
 * <p>Numerics are those of the one-vector kernels: each lane (one token) sums weight × activation quant over a
 * chunk of elements in float, and every chunk is short enough that the sum stays an exact integer below 2^24
 * (Q8_0/Q4_0: a block of 32; Q4_K: 128 elements of level × 6-bit scale; Q5_K: 64; Q6_K: 32 of (level − 32) × scale).
 * Chunk sums are added as ints to the block's integer dot, which is then scaled by d_w·d_x as one float product.
 * The Q4_K/Q5_K mins term Σ min_j·(sum of sub-block j's quants) is an exact integer per block too.
 */
final class VectorGemm {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    /** Weight rows per tile. */
    static final int ROWS = 4;
    /** Weight rows per 16-bit integer tile. */
    static final int SROWS = 8;

    private VectorGemm() {
    }

    static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /** One thread's unpacked rows and tile sums. */
    private static final class Scratch {
        float[] w = new float[0];
        /** Per row and block: the weight scale d (quantized types), dmin and the eight mins (Q4_K/Q5_K). */
        float[] wd = new float[0];
        float[] dmin = new float[0];
        float[] mins = new float[0];
        /** A group of interleaved rows unpacked element-major, and their block scales ({@link Packed#unpack}). */
        float[] gw = new float[0];
        /** Q4_0 groups for the 16-bit tiles: levels as short pairs ({@link Packed#unpackQ4_0Pairs}). */
        int[] gwp = new int[0];
        final float[] acc16 = new float[SROWS * 2 * Packed.G];
        final short[] sums16 = new short[SROWS * 2 * Packed.G];
        final float[] bacc16 = new float[SROWS * 2 * Packed.G];
        float[] gsc = new float[0];
        float[] gwd = new float[0];
        /** Q4_K 16-bit tiles: dmin per block and lane, the sub-block mins and scales per (8·block + j)·G + lane. */
        float[] gdmin = new float[0];
        float[] gmins = new float[0];
        final float[] acc = new float[2 * ROWS * L];
        final int[] iacc = new int[2 * ROWS * L];

        void ensure(int n, int blocks) {
            if (w.length < ROWS * n) w = new float[ROWS * n];
            if (wd.length < ROWS * blocks) {
                wd = new float[ROWS * blocks];
                dmin = new float[ROWS * blocks];
                mins = new float[ROWS * blocks * 8];
            }
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    static void multiply(Tensor w, Activations a, float[] out, int rowFrom, int rowTo) {
        GgmlType type = w.type();
        int n = a.n;
        int rows = Math.toIntExact(w.rows());
        long rowBytes = w.rowBytes();
        MemorySegment seg = w.data();
        boolean floats = type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.BF16;
        int block = floats ? n : type.blockSize;
        int chunk = switch (type) {
            case Q4_K -> 128;
            case Q5_K -> 64;
            case Q6_K -> 32;
            default -> block;
        };
        boolean withMins = type == GgmlType.Q4_K || type == GgmlType.Q5_K;
        int blocks = n / block;
        Scratch s = SCRATCH.get();
        s.ensure(n, blocks);
        for (int r0 = rowFrom; r0 < rowTo; r0 += ROWS) {
            int rc = Math.min(ROWS, rowTo - r0);
            // A short last tile repeats its last row; the repeated results are not stored.
            for (int i = 0; i < ROWS; i++) unpack(type, seg, (r0 + Math.min(i, rc - 1)) * rowBytes, n, blocks, s, i);
            for (int t0 = 0; t0 < a.batch; t0 += 2 * L) {
                if (floats) tileFloats(s, a, n, t0);
                else if (chunk == 32 && block == 32) tileBlocks(s, a, n, blocks, t0);
                else tileChunks(s, a, n, blocks, chunk, withMins, t0);
                for (int r = 0; r < rc; r++) {
                    for (int v = 0; v < 2; v++) {
                        int base = (2 * r + v) * L;
                        int tEnd = Math.min(L, a.batch - (t0 + v * L));
                        for (int lane = 0; lane < tEnd; lane++) out[(t0 + v * L + lane) * rows + r0 + r] = s.acc[base + lane];
                    }
                }
            }
        }
    }

    /**
     * Rows {@code [g0·G, g1·G)} from a row-interleaved Q4_0 copy ({@link Packed}): each group of G rows is
     * unpacked once, element-major, then runs through the same 4-row × 2·L-token tiles as {@link #multiply}.
     */
    static void multiplyPacked(Tensor w, MemorySegment p, Activations a, float[] out, int g0, int g1) {
        GgmlType type = w.type();
        int n = a.n;
        int rows = Math.toIntExact(w.rows());
        int blocks = n / type.blockSize;
        int g = Packed.G;
        Scratch s = SCRATCH.get();
        if (s.gw.length < g * n) s.gw = new float[g * n];
        if (s.gwd.length < g * blocks) {
            s.gwd = new float[g * blocks];
            s.gdmin = new float[g * blocks];
            s.gmins = new float[g * blocks * 8];
        }
        if (type == GgmlType.Q4_0 || type == GgmlType.Q4_K) {
            // 4-bit levels: 16-bit integer tiles of 8 rows × 2·G tokens.
            if (s.gwp.length < g * n) s.gwp = new int[g * n];
            if (s.gsc.length < g * blocks * 8) s.gsc = new float[g * blocks * 8];
            for (int group = g0; group < g1; group++) {
                if (type == GgmlType.Q4_0) Packed.unpackQ4_0Pairs(p, group, blocks, s.gwp, s.gwd);
                else PackedQ4K.unpackPairs(p, group, blocks, s.gwp, s.gwd, s.gdmin, s.gsc, s.gmins);
                for (int r0 = 0; r0 < g; r0 += SROWS) {
                    for (int t0 = 0; t0 < a.batch; t0 += 2 * g) {
                        if (type == GgmlType.Q4_0) tileShorts(s, a, blocks, t0, r0);
                        else tileShortsK(s, a, blocks, t0, r0);
                        for (int r = 0; r < SROWS; r++) {
                            int row = group * g + r0 + r;
                            int tEnd = Math.min(2 * g, a.batch - t0);
                            for (int t = 0; t < tEnd; t++) out[(t0 + t) * rows + row] = s.acc16[r * 2 * g + t];
                        }
                    }
                }
            }
            return;
        }
        // Q8_0 and Q6_K: fp32 tiles of 4 rows × 2·L tokens over the group unpacked to floats.
        for (int group = g0; group < g1; group++) {
            Packed.unpack(type, p, group, blocks, s.gw, s.gwd);
            for (int r0 = 0; r0 < g; r0 += ROWS) {
                for (int t0 = 0; t0 < a.batch; t0 += 2 * L) {
                    if (type == GgmlType.Q8_0) tileInterleaved(s, a, n, blocks, t0, r0);
                    else tileInterleavedQ6K(s, a, blocks, t0, r0);
                    store(s, a, out, rows, group * g + r0, ROWS, t0);
                }
            }
        }
    }

    /**
     * {@link #tileChunks} for Q6_K over element-major weights of G rows ((level − 32) × sub-block scale as floats),
     * rows r0..r0+3, in exact chunks of 32; per-lane block scales in {@code gwd[b·G + lane]}.
     */
    private static void tileInterleavedQ6K(Scratch s, Activations a, int blocks, int t0, int r0) {
        int chunk = 32;
        float[] w = s.gw;
        float[] xt = a.xt();
        int[] iacc = s.iacc;
        int g = Packed.G;
        int tp = a.tp;
        int t1 = t0 + L < tp ? t0 + L : t0;
        Arrays.fill(s.acc, 0f);
        for (int j = 0; j < blocks; j++) {
            Arrays.fill(iacc, 0);
            for (int c = 256 * j; c < 256 * j + 256; c += chunk) {
                FloatVector s00 = FloatVector.zero(FS), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
                for (int k = c; k < c + chunk; k++) {
                    int xo = k * tp;
                    int wo = k * g + r0;
                    FloatVector x0 = FloatVector.fromArray(FS, xt, xo + t0);
                    FloatVector x1 = FloatVector.fromArray(FS, xt, xo + t1);
                    FloatVector w0 = FloatVector.broadcast(FS, w[wo]);
                    s00 = w0.fma(x0, s00);
                    s01 = w0.fma(x1, s01);
                    FloatVector w1 = FloatVector.broadcast(FS, w[wo + 1]);
                    s10 = w1.fma(x0, s10);
                    s11 = w1.fma(x1, s11);
                    FloatVector w2 = FloatVector.broadcast(FS, w[wo + 2]);
                    s20 = w2.fma(x0, s20);
                    s21 = w2.fma(x1, s21);
                    FloatVector w3 = FloatVector.broadcast(FS, w[wo + 3]);
                    s30 = w3.fma(x0, s30);
                    s31 = w3.fma(x1, s31);
                }
                addInts(iacc, 0, s00);
                addInts(iacc, L, s01);
                addInts(iacc, 2 * L, s10);
                addInts(iacc, 3 * L, s11);
                addInts(iacc, 4 * L, s20);
                addInts(iacc, 5 * L, s21);
                addInts(iacc, 6 * L, s30);
                addInts(iacc, 7 * L, s31);
            }
            for (int r = 0; r < ROWS; r++) {
                int rb = j * g + r0 + r;
                for (int v = 0; v < 2; v++) {
                    int tv = v == 0 ? t0 : t1;
                    int i = (2 * r + v) * L;
                    FloatVector dx = FloatVector.fromArray(FS, a.dt(), j * tp + tv);
                    FloatVector dot = (FloatVector) IntVector.fromArray(IS, iacc, i).convert(VectorOperators.I2F, 0);
                    dot.fma(dx.mul(s.gwd[rb]), FloatVector.fromArray(FS, s.acc, i)).intoArray(s.acc, i);
                }
            }
        }
    }

    /**
     * The 16-bit tile's core: Σ over elements k0..k0+31 of level × quant for 8 rows (short pairs in {@code w},
     * element-major) and the 2·G tokens at t0 and t1, into {@code sums[(2·row + v)·G ..]}. The sums go out through
     * the array: written out with the closing arithmetic, or passed to a helper, the vectors would be boxed.
     */
    private static void sums32(int[] w, short[] xs, int tp, int k0, int t0, int t1, int r0, short[] sums) {
        int g = Packed.G;
        jdk.incubator.vector.VectorSpecies<Short> ss = Packed.SS;
        ShortVector a00 = ShortVector.zero(ss), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        ShortVector a40 = a00, a41 = a00, a50 = a00, a51 = a00, a60 = a00, a61 = a00, a70 = a00, a71 = a00;
        for (int k = k0; k < k0 + 32; k++) {
            ShortVector x0 = ShortVector.fromArray(ss, xs, k * tp + t0);
            ShortVector x1 = ShortVector.fromArray(ss, xs, k * tp + t1);
            int wo = k * g + r0;
            ShortVector b = IntVector.broadcast(IS, w[wo]).reinterpretAsShorts();
            a00 = b.mul(x0).add(a00);
            a01 = b.mul(x1).add(a01);
            b = IntVector.broadcast(IS, w[wo + 1]).reinterpretAsShorts();
            a10 = b.mul(x0).add(a10);
            a11 = b.mul(x1).add(a11);
            b = IntVector.broadcast(IS, w[wo + 2]).reinterpretAsShorts();
            a20 = b.mul(x0).add(a20);
            a21 = b.mul(x1).add(a21);
            b = IntVector.broadcast(IS, w[wo + 3]).reinterpretAsShorts();
            a30 = b.mul(x0).add(a30);
            a31 = b.mul(x1).add(a31);
            b = IntVector.broadcast(IS, w[wo + 4]).reinterpretAsShorts();
            a40 = b.mul(x0).add(a40);
            a41 = b.mul(x1).add(a41);
            b = IntVector.broadcast(IS, w[wo + 5]).reinterpretAsShorts();
            a50 = b.mul(x0).add(a50);
            a51 = b.mul(x1).add(a51);
            b = IntVector.broadcast(IS, w[wo + 6]).reinterpretAsShorts();
            a60 = b.mul(x0).add(a60);
            a61 = b.mul(x1).add(a61);
            b = IntVector.broadcast(IS, w[wo + 7]).reinterpretAsShorts();
            a70 = b.mul(x0).add(a70);
            a71 = b.mul(x1).add(a71);
        }
        a00.intoArray(sums, 0);
        a01.intoArray(sums, g);
        a10.intoArray(sums, 2 * g);
        a11.intoArray(sums, 3 * g);
        a20.intoArray(sums, 4 * g);
        a21.intoArray(sums, 5 * g);
        a30.intoArray(sums, 6 * g);
        a31.intoArray(sums, 7 * g);
        a40.intoArray(sums, 8 * g);
        a41.intoArray(sums, 9 * g);
        a50.intoArray(sums, 10 * g);
        a51.intoArray(sums, 11 * g);
        a60.intoArray(sums, 12 * g);
        a61.intoArray(sums, 13 * g);
        a70.intoArray(sums, 14 * g);
        a71.intoArray(sums, 15 * g);
    }

    /**
     * Q4_0, 8 rows × 2·G tokens in 16-bit integer lanes: per element, the level of each row (a broadcast short
     * pair) times the element's quants of G tokens ({@link Activations#xts()}), summed over the block of 32 in
     * shorts (|Σ| ≤ 32·8·127 < 2^15), then widened, converted and scaled by d_w·d_x into {@code s.acc16}
     * ({@code [row][token]}). One 16-bit multiply and add serve G tokens where an fp32 FMA serves L = G/2.
     */
    private static void tileShorts(Scratch s, Activations a, int blocks, int t0, int r0) {
        int[] w = s.gwp;
        short[] xs = a.xts();
        float[] acc = s.acc16;
        float[] wd = s.gwd;
        float[] dt = a.dt();
        int g = Packed.G;
        int tp = a.tp;
        int t1 = t0 + g < tp ? t0 + g : t0;
        Arrays.fill(acc, 0f);
        jdk.incubator.vector.VectorSpecies<Short> ss = Packed.SS;
        for (int j = 0; j < blocks; j++) {
            sums32(w, xs, tp, 32 * j, t0, t1, r0, s.sums16);
            short[] sums = s.sums16;
            // The block's token scales, loaded once for the 8 rows: (first/second G tokens) × (lower/upper L lanes).
            FloatVector x00 = FloatVector.fromArray(FS, dt, j * tp + t0), x01 = FloatVector.fromArray(FS, dt, j * tp + t0 + L);
            FloatVector x10 = FloatVector.fromArray(FS, dt, j * tp + t1), x11 = FloatVector.fromArray(FS, dt, j * tp + t1 + L);
            for (int r = 0; r < SROWS; r++) {
                float dw = wd[j * g + r0 + r];
                int a0 = 2 * r * g, a1 = a0 + g;
                ShortVector u = ShortVector.fromArray(ss, sums, a0), v = ShortVector.fromArray(ss, sums, a1);
                ((FloatVector) ((IntVector) u.convertShape(VectorOperators.S2I, IS, 0)).convert(VectorOperators.I2F, 0))
                        .fma(x00.mul(dw), FloatVector.fromArray(FS, acc, a0)).intoArray(acc, a0);
                ((FloatVector) ((IntVector) u.convertShape(VectorOperators.S2I, IS, 1)).convert(VectorOperators.I2F, 0))
                        .fma(x01.mul(dw), FloatVector.fromArray(FS, acc, a0 + L)).intoArray(acc, a0 + L);
                ((FloatVector) ((IntVector) v.convertShape(VectorOperators.S2I, IS, 0)).convert(VectorOperators.I2F, 0))
                        .fma(x10.mul(dw), FloatVector.fromArray(FS, acc, a1)).intoArray(acc, a1);
                ((FloatVector) ((IntVector) v.convertShape(VectorOperators.S2I, IS, 1)).convert(VectorOperators.I2F, 0))
                        .fma(x11.mul(dw), FloatVector.fromArray(FS, acc, a1 + L)).intoArray(acc, a1 + L);
            }
        }
    }

    /**
     * Q4_K in the 16-bit tiles: per sub-block of 32, Σ (level − 8)·x in shorts ({@link #sums32}), widened, plus
     * 8·Σx, times the row's sub-block scale, summed over the super-block; then d·d_x times that, minus
     * dmin·d_x·Σ_j min_j·Σx_j, into {@code s.acc16}.
     */
    private static void tileShortsK(Scratch s, Activations a, int blocks, int t0, int r0) {
        int[] w = s.gwp;
        short[] xs = a.xts();
        float[] acc = s.acc16;
        float[] bacc = s.bacc16;
        float[] x32 = a.s32t();
        float[] dt = a.dt();
        int g = Packed.G;
        int tp = a.tp;
        int t1 = t0 + g < tp ? t0 + g : t0;
        Arrays.fill(acc, 0f);
        jdk.incubator.vector.VectorSpecies<Short> ss = Packed.SS;
        short[] sums = s.sums16;
        for (int j = 0; j < blocks; j++) {
            Arrays.fill(bacc, 0f);
            for (int sb = 0; sb < 8; sb++) {
                sums32(w, xs, tp, 256 * j + 32 * sb, t0, t1, r0, sums);
                int q = 8 * j + sb;
                // 8·Σx of the sub-block for the tile's tokens, once for the 8 rows.
                FloatVector x00 = FloatVector.fromArray(FS, x32, q * tp + t0).mul(8f), x01 = FloatVector.fromArray(FS, x32, q * tp + t0 + L).mul(8f);
                FloatVector x10 = FloatVector.fromArray(FS, x32, q * tp + t1).mul(8f), x11 = FloatVector.fromArray(FS, x32, q * tp + t1 + L).mul(8f);
                for (int r = 0; r < SROWS; r++) {
                    float scale = s.gsc[q * g + r0 + r];
                    int b0 = 2 * r * g, b1 = b0 + g;
                    ShortVector u = ShortVector.fromArray(ss, sums, b0), v = ShortVector.fromArray(ss, sums, b1);
                    ((FloatVector) ((IntVector) u.convertShape(VectorOperators.S2I, IS, 0)).convert(VectorOperators.I2F, 0)).add(x00)
                            .mul(scale).add(FloatVector.fromArray(FS, bacc, b0)).intoArray(bacc, b0);
                    ((FloatVector) ((IntVector) u.convertShape(VectorOperators.S2I, IS, 1)).convert(VectorOperators.I2F, 0)).add(x01)
                            .mul(scale).add(FloatVector.fromArray(FS, bacc, b0 + L)).intoArray(bacc, b0 + L);
                    ((FloatVector) ((IntVector) v.convertShape(VectorOperators.S2I, IS, 0)).convert(VectorOperators.I2F, 0)).add(x10)
                            .mul(scale).add(FloatVector.fromArray(FS, bacc, b1)).intoArray(bacc, b1);
                    ((FloatVector) ((IntVector) v.convertShape(VectorOperators.S2I, IS, 1)).convert(VectorOperators.I2F, 0)).add(x11)
                            .mul(scale).add(FloatVector.fromArray(FS, bacc, b1 + L)).intoArray(bacc, b1 + L);
                }
            }
            for (int i = 0; i < 2 * SROWS; i++) {
                int rb = j * g + r0 + (i >>> 1);
                int tv = (i & 1) == 0 ? t0 : t1;
                for (int part = 0; part < 2; part++) {
                    FloatVector dx = FloatVector.fromArray(FS, dt, j * tp + tv + part * L);
                    FloatVector m = FloatVector.zero(FS);
                    for (int sb = 0; sb < 8; sb++) {
                        m = FloatVector.fromArray(FS, x32, (8 * j + sb) * tp + tv + part * L).mul(s.gmins[(8 * j + sb) * g + rb - j * g]).add(m);
                    }
                    int ai = i * g + part * L;
                    FloatVector sum = FloatVector.fromArray(FS, bacc, ai).mul(dx.mul(s.gwd[rb]));
                    sum.sub(m.mul(dx.mul(s.gdmin[rb]))).add(FloatVector.fromArray(FS, acc, ai)).intoArray(acc, ai);
                }
            }
        }
    }

    private static void store(Scratch s, Activations a, float[] out, int rows, int row0, int rc, int t0) {
        for (int r = 0; r < rc; r++) {
            for (int v = 0; v < 2; v++) {
                int base = (2 * r + v) * L;
                int tEnd = Math.min(L, a.batch - (t0 + v * L));
                for (int lane = 0; lane < tEnd; lane++) out[(t0 + v * L + lane) * rows + row0 + r] = s.acc[base + lane];
            }
        }
    }

    /** {@link #tileBlocks} over element-major weights of G rows ({@link Packed#unpack}), rows r0..r0+3. */
    private static void tileInterleaved(Scratch s, Activations a, int n, int blocks, int t0, int r0) {
        float[] w = s.gw;
        float[] xt = a.xt();
        float[] acc = s.acc;
        float[] wd = s.gwd;
        int g = Packed.G;
        int tp = a.tp;
        int t1 = t0 + L < tp ? t0 + L : t0;
        Arrays.fill(acc, 0f);
        for (int j = 0; j < blocks; j++) {
            FloatVector s00 = FloatVector.zero(FS), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
            for (int k = 32 * j; k < 32 * j + 32; k++) {
                int xo = k * tp;
                int wo = k * g + r0;
                FloatVector x0 = FloatVector.fromArray(FS, xt, xo + t0);
                FloatVector x1 = FloatVector.fromArray(FS, xt, xo + t1);
                FloatVector w0 = FloatVector.broadcast(FS, w[wo]);
                s00 = w0.fma(x0, s00);
                s01 = w0.fma(x1, s01);
                FloatVector w1 = FloatVector.broadcast(FS, w[wo + 1]);
                s10 = w1.fma(x0, s10);
                s11 = w1.fma(x1, s11);
                FloatVector w2 = FloatVector.broadcast(FS, w[wo + 2]);
                s20 = w2.fma(x0, s20);
                s21 = w2.fma(x1, s21);
                FloatVector w3 = FloatVector.broadcast(FS, w[wo + 3]);
                s30 = w3.fma(x0, s30);
                s31 = w3.fma(x1, s31);
            }
            FloatVector dx0 = FloatVector.fromArray(FS, a.dt(), j * tp + t0);
            FloatVector dx1 = FloatVector.fromArray(FS, a.dt(), j * tp + t1);
            int d = j * g + r0;
            addScaled(acc, 0, s00, dx0, wd[d]);
            addScaled(acc, L, s01, dx1, wd[d]);
            addScaled(acc, 2 * L, s10, dx0, wd[d + 1]);
            addScaled(acc, 3 * L, s11, dx1, wd[d + 1]);
            addScaled(acc, 4 * L, s20, dx0, wd[d + 2]);
            addScaled(acc, 5 * L, s21, dx1, wd[d + 2]);
            addScaled(acc, 6 * L, s30, dx0, wd[d + 3]);
            addScaled(acc, 7 * L, s31, dx1, wd[d + 3]);
        }
    }

    /*
     * The tile sums of rows 0..3 of the scratch with tokens t0.. and t1.. into s.acc (row-major, L lanes each).
     * The second token vector t1 is t0 + L, or t0 again when the batch has no more (its sums are not stored).
     * One method per way of closing a chunk, each compiled on its own: a shared method would carry every
     * type's branches and profile, and C2 compiles such a mix markedly worse.
     */

    /** F32/F16/BF16: one chunk, the whole row. */
    private static void tileFloats(Scratch s, Activations a, int n, int t0) {
        float[] w = s.w;
        float[] xt = a.xt();
        float[] acc = s.acc;
        int tp = a.tp;
        int t1 = t0 + L < tp ? t0 + L : t0;
        int c = 0;
        int chunk = n;
                FloatVector s00 = FloatVector.zero(FS), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
                for (int k = c; k < c + chunk; k++) {
                    int xo = k * tp;
                    FloatVector x0 = FloatVector.fromArray(FS, xt, xo + t0);
                    FloatVector x1 = FloatVector.fromArray(FS, xt, xo + t1);
                    FloatVector w0 = FloatVector.broadcast(FS, w[k]);
                    s00 = w0.fma(x0, s00);
                    s01 = w0.fma(x1, s01);
                    FloatVector w1 = FloatVector.broadcast(FS, w[n + k]);
                    s10 = w1.fma(x0, s10);
                    s11 = w1.fma(x1, s11);
                    FloatVector w2 = FloatVector.broadcast(FS, w[2 * n + k]);
                    s20 = w2.fma(x0, s20);
                    s21 = w2.fma(x1, s21);
                    FloatVector w3 = FloatVector.broadcast(FS, w[3 * n + k]);
                    s30 = w3.fma(x0, s30);
                    s31 = w3.fma(x1, s31);
                }
        s00.intoArray(acc, 0);
        s01.intoArray(acc, L);
        s10.intoArray(acc, 2 * L);
        s11.intoArray(acc, 3 * L);
        s20.intoArray(acc, 4 * L);
        s21.intoArray(acc, 5 * L);
        s30.intoArray(acc, 6 * L);
        s31.intoArray(acc, 7 * L);
    }

    /** Q8_0/Q4_0: blocks of 32, each an exact integer sum in float, scaled by d_w·d_x. */
    private static void tileBlocks(Scratch s, Activations a, int n, int blocks, int t0) {
        float[] w = s.w;
        float[] xt = a.xt();
        float[] acc = s.acc;
        float[] wd = s.wd;
        int tp = a.tp;
        int t1 = t0 + L < tp ? t0 + L : t0;
        int chunk = 32;
        Arrays.fill(acc, 0f);
        for (int j = 0; j < blocks; j++) {
            int c = 32 * j;
                FloatVector s00 = FloatVector.zero(FS), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
                for (int k = c; k < c + chunk; k++) {
                    int xo = k * tp;
                    FloatVector x0 = FloatVector.fromArray(FS, xt, xo + t0);
                    FloatVector x1 = FloatVector.fromArray(FS, xt, xo + t1);
                    FloatVector w0 = FloatVector.broadcast(FS, w[k]);
                    s00 = w0.fma(x0, s00);
                    s01 = w0.fma(x1, s01);
                    FloatVector w1 = FloatVector.broadcast(FS, w[n + k]);
                    s10 = w1.fma(x0, s10);
                    s11 = w1.fma(x1, s11);
                    FloatVector w2 = FloatVector.broadcast(FS, w[2 * n + k]);
                    s20 = w2.fma(x0, s20);
                    s21 = w2.fma(x1, s21);
                    FloatVector w3 = FloatVector.broadcast(FS, w[3 * n + k]);
                    s30 = w3.fma(x0, s30);
                    s31 = w3.fma(x1, s31);
                }
            FloatVector dx0 = FloatVector.fromArray(FS, a.dt(), j * tp + t0);
            FloatVector dx1 = FloatVector.fromArray(FS, a.dt(), j * tp + t1);
            addScaled(acc, 0, s00, dx0, wd[j]);
            addScaled(acc, L, s01, dx1, wd[j]);
            addScaled(acc, 2 * L, s10, dx0, wd[blocks + j]);
            addScaled(acc, 3 * L, s11, dx1, wd[blocks + j]);
            addScaled(acc, 4 * L, s20, dx0, wd[2 * blocks + j]);
            addScaled(acc, 5 * L, s21, dx1, wd[2 * blocks + j]);
            addScaled(acc, 6 * L, s30, dx0, wd[3 * blocks + j]);
            addScaled(acc, 7 * L, s31, dx1, wd[3 * blocks + j]);
        }
    }

    /** K-quants: super-blocks of 256 in exact chunks, added as ints, then scaled (and the mins subtracted). */
    private static void tileChunks(Scratch s, Activations a, int n, int blocks, int chunk, boolean withMins, int t0) {
        float[] w = s.w;
        float[] xt = a.xt();
        int[] iacc = s.iacc;
        int tp = a.tp;
        int t1 = t0 + L < tp ? t0 + L : t0;
        Arrays.fill(s.acc, 0f);
        for (int j = 0; j < blocks; j++) {
            Arrays.fill(iacc, 0);
            for (int c = 256 * j; c < 256 * j + 256; c += chunk) {
                FloatVector s00 = FloatVector.zero(FS), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
                for (int k = c; k < c + chunk; k++) {
                    int xo = k * tp;
                    FloatVector x0 = FloatVector.fromArray(FS, xt, xo + t0);
                    FloatVector x1 = FloatVector.fromArray(FS, xt, xo + t1);
                    FloatVector w0 = FloatVector.broadcast(FS, w[k]);
                    s00 = w0.fma(x0, s00);
                    s01 = w0.fma(x1, s01);
                    FloatVector w1 = FloatVector.broadcast(FS, w[n + k]);
                    s10 = w1.fma(x0, s10);
                    s11 = w1.fma(x1, s11);
                    FloatVector w2 = FloatVector.broadcast(FS, w[2 * n + k]);
                    s20 = w2.fma(x0, s20);
                    s21 = w2.fma(x1, s21);
                    FloatVector w3 = FloatVector.broadcast(FS, w[3 * n + k]);
                    s30 = w3.fma(x0, s30);
                    s31 = w3.fma(x1, s31);
                }
                addInts(iacc, 0, s00);
                addInts(iacc, L, s01);
                addInts(iacc, 2 * L, s10);
                addInts(iacc, 3 * L, s11);
                addInts(iacc, 4 * L, s20);
                addInts(iacc, 5 * L, s21);
                addInts(iacc, 6 * L, s30);
                addInts(iacc, 7 * L, s31);
            }
            finishBlock(s, a, blocks, j, t0, t1, withMins);
        }
    }

    /** Adds the block's integer dots, scaled by d_w·d_x, minus the mins term, to the tile sums. */
    private static void finishBlock(Scratch s, Activations a, int blocks, int j, int t0, int t1, boolean withMins) {
        int tp = a.tp;
        for (int r = 0; r < ROWS; r++) {
            int rb = r * blocks + j;
            for (int v = 0; v < 2; v++) {
                int tv = v == 0 ? t0 : t1;
                int i = (2 * r + v) * L;
                FloatVector dx = FloatVector.fromArray(FS, a.dt(), j * tp + tv);
                FloatVector dot = (FloatVector) IntVector.fromArray(IS, s.iacc, i).convert(VectorOperators.I2F, 0);
                FloatVector sum = dot.fma(dx.mul(s.wd[rb]), FloatVector.fromArray(FS, s.acc, i));
                if (withMins) {
                    FloatVector m = FloatVector.zero(FS);
                    for (int q = 0; q < 8; q++) {
                        m = FloatVector.fromArray(FS, a.s32t(), (8 * j + q) * tp + tv).fma(FloatVector.broadcast(FS, s.mins[8 * rb + q]), m);
                    }
                    sum = sum.sub(m.mul(dx.mul(s.dmin[rb])));
                }
                sum.intoArray(s.acc, i);
            }
        }
    }

    private static void addInts(int[] iacc, int i, FloatVector sum) {
        ((IntVector) sum.convert(VectorOperators.F2I, 0)).add(IntVector.fromArray(IS, iacc, i)).intoArray(iacc, i);
    }

    private static void addScaled(float[] acc, int i, FloatVector sum, FloatVector dx, float dw) {
        sum.fma(dx.mul(dw), FloatVector.fromArray(FS, acc, i)).intoArray(acc, i);
    }

    // ---- unpacking one row into the scratch (row slot i) ----

    private static void unpack(GgmlType type, MemorySegment seg, long off, int n, int blocks, Scratch s, int i) {
        // One small method per type, so that each compiles (and inlines its vector helpers) on its own.
        switch (type) {
            case F32 -> unpackF32(seg, off, n, blocks, s, i);
            case F16 -> unpackF16(seg, off, n, blocks, s, i);
            case BF16 -> unpackBF16(seg, off, n, blocks, s, i);
            case Q8_0 -> unpackQ8_0(seg, off, n, blocks, s, i);
            case Q4_0 -> unpackQ4_0(seg, off, n, blocks, s, i);
            case Q4_K -> unpackQ4_K(seg, off, n, blocks, s, i);
            case Q5_K -> unpackQ5_K(seg, off, n, blocks, s, i);
            case Q6_K -> unpackQ6_K(seg, off, n, blocks, s, i);
            default -> throw new IllegalStateException("no batched kernel for " + type);
        }
    }

    private static void unpackF32(MemorySegment seg, long off, int n, int blocks, Scratch s, int i) {
        float[] w = s.w;
        int o = i * n;
        int k = 0;
        for (; k + L <= n; k += L) FloatVector.fromMemorySegment(FS, seg, off + 4L * k, LE).intoArray(w, o + k);
        for (; k < n; k++) w[o + k] = seg.get(F32, off + 4L * k);
    }

    private static void unpackF16(MemorySegment seg, long off, int n, int blocks, Scratch s, int i) {
        float[] w = s.w;
        int o = i * n;
        int k = 0;
        for (; k + L <= n; k += L) VectorMatmul.halfs(seg, off + 2L * k).intoArray(w, o + k);
        for (; k < n; k++) w[o + k] = VectorMatmul.f16(seg, off + 2L * k);
    }

    private static void unpackBF16(MemorySegment seg, long off, int n, int blocks, Scratch s, int i) {
        float[] w = s.w;
        int o = i * n;
        int k = 0;
        for (; k + L <= n; k += L) VectorMatmul.bhalfs(seg, off + 2L * k).intoArray(w, o + k);
        for (; k < n; k++) w[o + k] = Float.intBitsToFloat((seg.get(I16, off + 2L * k) & 0xFFFF) << 16);
    }

    private static void unpackQ8_0(MemorySegment seg, long off, int n, int blocks, Scratch s, int i) {
        float[] w = s.w;
        int o = i * n;
        for (int j = 0; j < blocks; j++) {
            long blk = off + 34L * j;
            s.wd[i * blocks + j] = VectorMatmul.f16(seg, blk);
            for (int k = 0; k < 32; k += L) {
                VectorMatmul.bytesToFloats(VectorMatmul.bytes(seg, blk + 2 + k)).intoArray(w, o + 32 * j + k);
            }
        }
    }

    private static void unpackQ4_0(MemorySegment seg, long off, int n, int blocks, Scratch s, int i) {
        float[] w = s.w;
        int o = i * n;
        for (int j = 0; j < blocks; j++) {
            long blk = off + 18L * j;
            s.wd[i * blocks + j] = VectorMatmul.f16(seg, blk);
            for (int k = 0; k < 16; k += L) {
                IntVector q = VectorMatmul.ints(seg, blk + 2 + k);
                VectorMatmul.lookup(q, VectorMatmul.Q4_0_LOW, VectorMatmul.Q4_0_HIGH).intoArray(w, o + 32 * j + k);
                VectorMatmul.lookup(q.lanewise(VectorOperators.ASHR, 4), VectorMatmul.Q4_0_LOW, VectorMatmul.Q4_0_HIGH)
                        .intoArray(w, o + 32 * j + 16 + k);
            }
        }
    }

    private static void unpackQ4_K(MemorySegment seg, long off, int n, int blocks, Scratch s, int i) {
        float[] w = s.w;
        int o = i * n;
        for (int j = 0; j < blocks; j++) {
            long blk = off + 144L * j;
            long s8 = seg.get(I64, blk + 4);
            int s4 = seg.get(I32, blk + 12);
            kHeader(seg, blk, s8, s4, s, i * blocks + j);
            for (int g = 0; g < 4; g++) {
                float sc0 = VectorMatmul.kScale(s8, s4, 2 * g);
                float sc1 = VectorMatmul.kScale(s8, s4, 2 * g + 1);
                for (int k = 0; k < 32; k += L) {
                    IntVector q = VectorMatmul.ints(seg, blk + 16 + 32 * g + k);
                    int e = o + 256 * j + 64 * g + k;
                    VectorMatmul.lowNibbles(q).mul(sc0).intoArray(w, e);
                    VectorMatmul.highNibbles(q).mul(sc1).intoArray(w, e + 32);
                }
            }
        }
    }

    private static void unpackQ5_K(MemorySegment seg, long off, int n, int blocks, Scratch s, int i) {
        float[] w = s.w;
        int o = i * n;
        for (int j = 0; j < blocks; j++) {
            long blk = off + 176L * j;
            long s8 = seg.get(I64, blk + 4);
            int s4 = seg.get(I32, blk + 12);
            kHeader(seg, blk, s8, s4, s, i * blocks + j);
            for (int g = 0; g < 4; g++) {
                float sc0 = VectorMatmul.kScale(s8, s4, 2 * g);
                float sc1 = VectorMatmul.kScale(s8, s4, 2 * g + 1);
                for (int k = 0; k < 32; k += L) {
                    IntVector q = VectorMatmul.ints(seg, blk + 48 + 32 * g + k);
                    IntVector h = VectorMatmul.ints(seg, blk + 16 + k);
                    IntVector lo = q.and(0x0F).or(h.lanewise(VectorOperators.LSHR, 2 * g).and(1).lanewise(VectorOperators.LSHL, 4));
                    IntVector hi = q.lanewise(VectorOperators.ASHR, 4).and(0x0F)
                            .or(h.lanewise(VectorOperators.LSHR, 2 * g + 1).and(1).lanewise(VectorOperators.LSHL, 4));
                    int e = o + 256 * j + 64 * g + k;
                    ((FloatVector) lo.convert(VectorOperators.I2F, 0)).mul(sc0).intoArray(w, e);
                    ((FloatVector) hi.convert(VectorOperators.I2F, 0)).mul(sc1).intoArray(w, e + 32);
                }
            }
        }
    }

    private static void unpackQ6_K(MemorySegment seg, long off, int n, int blocks, Scratch s, int i) {
        float[] w = s.w;
        int o = i * n;
        for (int j = 0; j < blocks; j++) {
            long blk = off + 210L * j;
            s.wd[i * blocks + j] = VectorMatmul.f16(seg, blk + 208);
            for (int h = 0; h < 2; h++) {
                for (int l = 0; l < 32; l += L) {
                    IntVector ql0 = VectorMatmul.ints(seg, blk + 64 * h + l);
                    IntVector ql1 = VectorMatmul.ints(seg, blk + 64 * h + 32 + l);
                    IntVector qh = VectorMatmul.ints(seg, blk + 128 + 32 * h + l);
                    int si = 8 * h + l / 16;
                    for (int k = 0; k < 4; k++) {
                        float sc = seg.get(ValueLayout.JAVA_BYTE, blk + 192 + si + 2 * k);
                        VectorMatmul.q6Level(ql0, ql1, qh, k).sub(32).mul(sc).intoArray(w, o + 256 * j + 128 * h + 32 * k + l);
                    }
                }
            }
        }
    }

    /** Q4_K/Q5_K super-block header: d, dmin and the eight 6-bit mins as floats. */
    private static void kHeader(MemorySegment seg, long blk, long s8, int s4, Scratch s, int rb) {
        s.wd[rb] = VectorMatmul.f16(seg, blk);
        s.dmin[rb] = VectorMatmul.f16(seg, blk + 2);
        int hi = (int) (s8 >>> 32);
        for (int q = 0; q < 4; q++) s.mins[8 * rb + q] = (hi >>> (8 * q)) & 63;
        for (int m = 0; m < 4; m++) s.mins[8 * rb + 4 + m] = ((s4 >>> (8 * m + 4)) & 15) | ((hi >>> (8 * m + 2)) & 0x30);
    }
}
