package dev.qwen4j.tensor.vector;

import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.tensor.MatmulKernel;
import dev.qwen4j.tensor.MemoryAdvice;
import dev.qwen4j.tensor.Tensor;
import dev.qwen4j.tensor.quant.Activations;
import dev.qwen4j.tensor.quant.IQ4_NL;
import dev.qwen4j.tensor.quant.Q2_K;
import dev.qwen4j.tensor.quant.Q3_K;
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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Weight products with the Vector API. Quantized weights are unpacked to small integers in float lanes and
 * multiplied with the activation quants (also held as floats): every per-block lane sum is an integer below 2^24,
 * so it is exact, the same integer dot product the portable kernels compute; only the fp32 accumulation of
 * scaled block sums differs in order.
 *
 * <p>Each row is read once per call: for a batch, tiles of 4 vectors share every unpacked weight vector
 * (register tiling over tokens), with rows as the outer loop so a row stays in L1 across tiles.
 * Lane count {@code L} is the preferred float width (16 with AVX-512, 8 with AVX2), or 8/16 chosen by
 * {@code -Dqwen4j.vector.bits=256|512}.
 */
public final class VectorMatmul implements MatmulKernel {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);

    static final VectorSpecies<Float> FS = floatSpecies();
    static final int L = FS.length();
    private static final VectorShape NARROW8 = VectorShape.forBitSize(L * 8);
    static final VectorSpecies<Byte> BS = VectorSpecies.of(byte.class, NARROW8);
    static final VectorSpecies<Short> SS = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, FS.vectorShape());
    private static final int TILE = 4;

    private static VectorSpecies<Float> floatSpecies() {
        String bits = System.getProperty("qwen4j.vector.bits", "");
        VectorSpecies<Float> s = switch (bits) {
            case "256" -> FloatVector.SPECIES_256;
            case "512" -> FloatVector.SPECIES_512;
            default -> FloatVector.SPECIES_PREFERRED;
        };
        if (s.length() < 8) throw new UnsupportedOperationException("SIMD registers narrower than 256 bits");
        return s;
    }

    /**
     * Prompt products of interleaved Q8_0/Q6_K in passes of tokens with the rows in lanes
     * ({@code PackedQ8/PackedQ6K.multiplyTokens}): they hold 24–29 vectors in registers, so 512-bit vectors only
     * (AVX-512 has 32 registers; AVX2's 16 would spill, and keep the fp32 tiles of {@link VectorGemm}).
     */
    static final boolean TOKEN_PASSES = L == 16;

    public VectorMatmul() {
    }

    @Override
    public String name() {
        return "vector-" + FS.vectorBitSize();
    }

    /** Row-interleaved copies of the prepared 4-bit matrices ({@link Packed}), freed with the kernel. */
    private final Arena arena = Arena.ofShared();
    private final Map<Tensor, MemorySegment> packed = new ConcurrentHashMap<>();
    private final boolean packing = !"false".equals(System.getProperty("qwen4j.packed"));

    @Override
    public long prepare(Tensor w, Parallel parallel) {
        if (!packing || !Packed.supports(w.type()) || w.rows() < Packed.G || packed.containsKey(w)) return 0;
        MemorySegment p = Packed.pack(w, arena, parallel);
        if (packed.putIfAbsent(w, p) != null) return 0;
        // The products read the copy from now on: the file's pages of whole groups can leave the resident set
        // (rows after the last group, and embedding lookups of a tied output head, fault theirs back in).
        MemoryAdvice.release(w.data().asSlice(0, w.rows() / Packed.G * Packed.G * w.rowBytes()));
        return p.byteSize();
    }

    @Override
    public void close() {
        packed.clear();
        arena.close();
    }

    @Override
    public void multiply(Tensor w, Activations a, float[] out, int rowFrom, int rowTo) {
        MemorySegment p = packed.isEmpty() ? null : packed.get(w);
        if (p != null) {
            // Whole groups of G rows from the interleaved copy; rows outside them (a range boundary inside a group,
            // the rows after the last group) from the file's layout.
            int g0 = (rowFrom + Packed.G - 1) / Packed.G;
            int g1 = rowTo / Packed.G;
            if (g0 < g1) {
                if (rowFrom < g0 * Packed.G) multiplyRows(w, a, out, rowFrom, g0 * Packed.G);
                if (a.batch < Activations.TRANSPOSE_MIN) Packed.multiply(w, p, a, out, g0, g1);
                else if (w.type() == GgmlType.Q8_0 && TOKEN_PASSES) PackedQ8.multiplyTokens(w, p, a, out, g0, g1);
                else if (w.type() == GgmlType.Q6_K && TOKEN_PASSES) PackedQ6K.multiplyTokens(w, p, a, out, g0, g1);
                else VectorGemm.multiplyPacked(w, p, a, out, g0, g1);
                if (g1 * Packed.G < rowTo) multiplyRows(w, a, out, g1 * Packed.G, rowTo);
                return;
            }
        }
        multiplyRows(w, a, out, rowFrom, rowTo);
    }

    private static void multiplyRows(Tensor w, Activations a, float[] out, int rowFrom, int rowTo) {
        // A few rows (a 16-row gate projection, the rows of a group cut by a thread's range) take the row kernels:
        // the tiles would first transpose the whole batch of activations for them.
        if (a.batch >= Activations.TRANSPOSE_MIN && VectorGemm.supports(w.type()) && rowTo - rowFrom >= Packed.G) {
            VectorGemm.multiply(w, a, out, rowFrom, rowTo);
            return;
        }
        int rows = Math.toIntExact(w.rows());
        long rowBytes = w.rowBytes();
        MemorySegment seg = w.data();
        int n = a.n;
        GgmlType type = w.type();
        int blocks = n / type.blockSize;
        for (int r = rowFrom; r < rowTo; r++) {
            long off = r * rowBytes;
            for (int b0 = 0; b0 < a.batch; b0 += TILE) {
                int t = Math.min(TILE, a.batch - b0);
                if (t == 1 || !tiled(type)) {
                    for (int b = b0; b < b0 + t; b++) out[b * rows + r] = dot1(type, seg, off, n, blocks, a, b);
                } else {
                    dot4(type, seg, off, n, blocks, a, b0, t, out, rows, r);
                }
            }
        }
    }

    private static boolean tiled(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K -> true;
            default -> false;
        };
    }

    private static float dot1(GgmlType type, MemorySegment seg, long off, int n, int blocks, Activations a, int b) {
        return switch (type) {
            case F32 -> f32(seg, off, n, a.x, b * n);
            case F16 -> f16(seg, off, n, a.x, b * n);
            case BF16 -> bf16(seg, off, n, a.x, b * n);
            case Q8_0 -> q8_0(seg, off, blocks, a, b * blocks);
            case Q4_0 -> q4_0(seg, off, blocks, a, b * blocks);
            case Q5_0 -> q5_0(seg, off, blocks, a, b * blocks);
            case Q4_K -> q4_K(seg, off, blocks, a, b * blocks);
            case Q5_K -> q5_K(seg, off, blocks, a, b * blocks);
            case Q6_K -> q6_K(seg, off, blocks, a, b * blocks);
            case Q4_1 -> q4_1(seg, off, blocks, a, b * blocks);
            case Q5_1 -> q5_1(seg, off, blocks, a, b * blocks);
            case IQ4_NL -> iq4_nl(seg, off, blocks, a, b * blocks);
            case IQ4_XS -> iq4_xs(seg, off, blocks, a, b * blocks);
            // Low-bit K formats (rare in Qwen files): the portable integer dot, same result at scalar speed.
            case Q2_K -> Q2_K.dot(seg, off, blocks, a, b * blocks);
            case Q3_K -> Q3_K.dot(seg, off, blocks, a, b * blocks);
            default -> throw new UnsupportedOperationException("no kernel for " + type);
        };
    }

    private static void dot4(GgmlType type, MemorySegment seg, long off, int n, int blocks, Activations a, int b0, int t,
                             float[] out, int rows, int r) {
        // Tiles shorter than 4 repeat their last vector; the repeated results are not stored.
        int b1 = b0 + Math.min(1, t - 1);
        int b2 = b0 + Math.min(2, t - 1);
        int b3 = b0 + Math.min(3, t - 1);
        FloatVector res = switch (type) {
            case F32 -> f32x4(seg, off, n, a.x, b0 * n, b1 * n, b2 * n, b3 * n);
            case F16 -> f16x4(seg, off, n, a.x, b0 * n, b1 * n, b2 * n, b3 * n);
            case BF16 -> bf16x4(seg, off, n, a.x, b0 * n, b1 * n, b2 * n, b3 * n);
            case Q8_0 -> q8_0x4(seg, off, blocks, a, b0 * blocks, b1 * blocks, b2 * blocks, b3 * blocks);
            case Q4_0 -> q4_0x4(seg, off, blocks, a, b0 * blocks, b1 * blocks, b2 * blocks, b3 * blocks);
            case Q4_K -> q4_Kx4(seg, off, blocks, a, b0 * blocks, b1 * blocks, b2 * blocks, b3 * blocks);
            case Q6_K -> q6_Kx4(seg, off, blocks, a, b0 * blocks, b1 * blocks, b2 * blocks, b3 * blocks);
            default -> throw new IllegalStateException();
        };
        for (int i = 0; i < t; i++) out[(b0 + i) * rows + r] = res.lane(i);
    }

    /** Packs four sums into lanes 0..3 of a vector (the tile result). */
    private static FloatVector four(float s0, float s1, float s2, float s3) {
        return FloatVector.zero(FS).withLane(0, s0).withLane(1, s1).withLane(2, s2).withLane(3, s3);
    }

    private static float sum(FloatVector v) {
        return VectorFloatOps.sumLanes(v);
    }

    // ---- weight unpacking: L lanes of small integers (or floats) from the block bytes ----

    static FloatVector bytesToFloats(ByteVector v) {
        return (FloatVector) v.convertShape(VectorOperators.B2F, FS, 0);
    }

    /** L bytes widened to int lanes (sign-extended; nibble extraction masks the sign away). */
    static IntVector ints(MemorySegment seg, long off) {
        return (IntVector) bytes(seg, off).convertShape(VectorOperators.B2I, IS, 0);
    }

    /** The low nibbles of the bytes in {@code q} as floats 0..15 (table lookup, see {@link #lookup}). */
    static FloatVector lowNibbles(IntVector q) {
        return lookup(q, NIBBLE_LOW, NIBBLE_HIGH);
    }

    static FloatVector highNibbles(IntVector q) {
        return lookup(q.lanewise(VectorOperators.ASHR, 4), NIBBLE_LOW, NIBBLE_HIGH);
    }

    static ByteVector bytes(MemorySegment seg, long off) {
        return ByteVector.fromMemorySegment(BS, seg, off, LE);
    }

    static FloatVector halfs(MemorySegment seg, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(SS, seg, off, LE).convertShape(VectorOperators.S2I, IS, 0);
        // binary16 → binary32 for finite values: move exponent and mantissa into place, rebias by 2^112 (also exact
        // for subnormals), then restore the sign.
        FloatVector mag = h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f);
        return mag.reinterpretAsInts().or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    static FloatVector bhalfs(MemorySegment seg, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(SS, seg, off, LE).convertShape(VectorOperators.S2I, IS, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    static float f16(MemorySegment seg, long off) {
        return Float.float16ToFloat(seg.get(I16, off));
    }

    // ---- F32 / F16 / BF16 ----

    private static float f32(MemorySegment seg, long off, int n, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(FS);
        int i = 0;
        for (; i + L <= n; i += L) acc = FloatVector.fromMemorySegment(FS, seg, off + 4L * i, LE).fma(FloatVector.fromArray(FS, x, xo + i), acc);
        float s = sum(acc);
        for (; i < n; i++) s += seg.get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE), off + 4L * i) * x[xo + i];
        return s;
    }

    private static float f16(MemorySegment seg, long off, int n, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(FS);
        int i = 0;
        for (; i + L <= n; i += L) acc = halfs(seg, off + 2L * i).fma(FloatVector.fromArray(FS, x, xo + i), acc);
        float s = sum(acc);
        for (; i < n; i++) s += f16(seg, off + 2L * i) * x[xo + i];
        return s;
    }

    private static float bf16(MemorySegment seg, long off, int n, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(FS);
        int i = 0;
        for (; i + L <= n; i += L) acc = bhalfs(seg, off + 2L * i).fma(FloatVector.fromArray(FS, x, xo + i), acc);
        float s = sum(acc);
        for (; i < n; i++) s += Float.intBitsToFloat((seg.get(I16, off + 2L * i) & 0xFFFF) << 16) * x[xo + i];
        return s;
    }

    private static FloatVector f32x4(MemorySegment seg, long off, int n, float[] x, int x0, int x1, int x2, int x3) {
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector wv = FloatVector.fromMemorySegment(FS, seg, off + 4L * i, LE);
            a0 = wv.fma(FloatVector.fromArray(FS, x, x0 + i), a0);
            a1 = wv.fma(FloatVector.fromArray(FS, x, x1 + i), a1);
            a2 = wv.fma(FloatVector.fromArray(FS, x, x2 + i), a2);
            a3 = wv.fma(FloatVector.fromArray(FS, x, x3 + i), a3);
        }
        float s0 = sum(a0), s1 = sum(a1), s2 = sum(a2), s3 = sum(a3);
        for (; i < n; i++) {
            float wv = seg.get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE), off + 4L * i);
            s0 += wv * x[x0 + i];
            s1 += wv * x[x1 + i];
            s2 += wv * x[x2 + i];
            s3 += wv * x[x3 + i];
        }
        return four(s0, s1, s2, s3);
    }

    private static FloatVector f16x4(MemorySegment seg, long off, int n, float[] x, int x0, int x1, int x2, int x3) {
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector wv = halfs(seg, off + 2L * i);
            a0 = wv.fma(FloatVector.fromArray(FS, x, x0 + i), a0);
            a1 = wv.fma(FloatVector.fromArray(FS, x, x1 + i), a1);
            a2 = wv.fma(FloatVector.fromArray(FS, x, x2 + i), a2);
            a3 = wv.fma(FloatVector.fromArray(FS, x, x3 + i), a3);
        }
        float s0 = sum(a0), s1 = sum(a1), s2 = sum(a2), s3 = sum(a3);
        for (; i < n; i++) {
            float wv = f16(seg, off + 2L * i);
            s0 += wv * x[x0 + i];
            s1 += wv * x[x1 + i];
            s2 += wv * x[x2 + i];
            s3 += wv * x[x3 + i];
        }
        return four(s0, s1, s2, s3);
    }

    private static FloatVector bf16x4(MemorySegment seg, long off, int n, float[] x, int x0, int x1, int x2, int x3) {
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector wv = bhalfs(seg, off + 2L * i);
            a0 = wv.fma(FloatVector.fromArray(FS, x, x0 + i), a0);
            a1 = wv.fma(FloatVector.fromArray(FS, x, x1 + i), a1);
            a2 = wv.fma(FloatVector.fromArray(FS, x, x2 + i), a2);
            a3 = wv.fma(FloatVector.fromArray(FS, x, x3 + i), a3);
        }
        float s0 = sum(a0), s1 = sum(a1), s2 = sum(a2), s3 = sum(a3);
        for (; i < n; i++) {
            float wv = Float.intBitsToFloat((seg.get(I16, off + 2L * i) & 0xFFFF) << 16);
            s0 += wv * x[x0 + i];
            s1 += wv * x[x1 + i];
            s2 += wv * x[x2 + i];
            s3 += wv * x[x3 + i];
        }
        return four(s0, s1, s2, s3);
    }

    // ---- 32-element blocks against Q8_0 activations ----

    private static float q8_0(MemorySegment seg, long off, int blocks, Activations a, int ab) {
        float[] xq = a.qf;
        float[] xd = a.d;
        FloatVector acc = FloatVector.zero(FS);
        for (int b = 0; b < blocks; b++) {
            long blk = off + 34L * b;
            int xo = (ab + b) * 32;
            FloatVector s = FloatVector.zero(FS);
            for (int k = 0; k < 32; k += L) s = bytesToFloats(bytes(seg, blk + 2 + k)).fma(FloatVector.fromArray(FS, xq, xo + k), s);
            acc = s.fma(FloatVector.broadcast(FS, f16(seg, blk) * xd[ab + b]), acc);
        }
        return sum(acc);
    }

    private static FloatVector q8_0x4(MemorySegment seg, long off, int blocks, Activations a, int ab0, int ab1, int ab2, int ab3) {
        float[] xq = a.qf;
        float[] xd = a.d;
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++) {
            long blk = off + 34L * b;
            FloatVector s0 = FloatVector.zero(FS), s1 = s0, s2 = s0, s3 = s0;
            for (int k = 0; k < 32; k += L) {
                FloatVector wv = bytesToFloats(bytes(seg, blk + 2 + k));
                s0 = wv.fma(FloatVector.fromArray(FS, xq, (ab0 + b) * 32 + k), s0);
                s1 = wv.fma(FloatVector.fromArray(FS, xq, (ab1 + b) * 32 + k), s1);
                s2 = wv.fma(FloatVector.fromArray(FS, xq, (ab2 + b) * 32 + k), s2);
                s3 = wv.fma(FloatVector.fromArray(FS, xq, (ab3 + b) * 32 + k), s3);
            }
            float dw = f16(seg, blk);
            a0 = s0.fma(FloatVector.broadcast(FS, dw * xd[ab0 + b]), a0);
            a1 = s1.fma(FloatVector.broadcast(FS, dw * xd[ab1 + b]), a1);
            a2 = s2.fma(FloatVector.broadcast(FS, dw * xd[ab2 + b]), a2);
            a3 = s3.fma(FloatVector.broadcast(FS, dw * xd[ab3 + b]), a3);
        }
        return four(sum(a0), sum(a1), sum(a2), sum(a3));
    }

    private static float q4_0(MemorySegment seg, long off, int blocks, Activations a, int ab) {
        float[] xq = a.qf;
        float[] xd = a.d;
        FloatVector acc = FloatVector.zero(FS);
        for (int b = 0; b < blocks; b++) {
            long blk = off + 18L * b;
            int xo = (ab + b) * 32;
            FloatVector s = FloatVector.zero(FS);
            for (int k = 0; k < 16; k += L) {
                IntVector q = ints(seg, blk + 2 + k);
                s = lookup(q, Q4_0_LOW, Q4_0_HIGH).fma(FloatVector.fromArray(FS, xq, xo + k), s);
                s = lookup(q.lanewise(VectorOperators.ASHR, 4), Q4_0_LOW, Q4_0_HIGH).fma(FloatVector.fromArray(FS, xq, xo + 16 + k), s);
            }
            acc = s.fma(FloatVector.broadcast(FS, f16(seg, blk) * xd[ab + b]), acc);
        }
        return sum(acc);
    }

    private static FloatVector q4_0x4(MemorySegment seg, long off, int blocks, Activations a, int ab0, int ab1, int ab2, int ab3) {
        float[] xq = a.qf;
        float[] xd = a.d;
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++) {
            long blk = off + 18L * b;
            int x0 = (ab0 + b) * 32, x1 = (ab1 + b) * 32, x2 = (ab2 + b) * 32, x3 = (ab3 + b) * 32;
            FloatVector s0 = FloatVector.zero(FS), s1 = s0, s2 = s0, s3 = s0;
            for (int k = 0; k < 16; k += L) {
                IntVector q = ints(seg, blk + 2 + k);
                FloatVector lo = lookup(q, Q4_0_LOW, Q4_0_HIGH);
                FloatVector hi = lookup(q.lanewise(VectorOperators.ASHR, 4), Q4_0_LOW, Q4_0_HIGH);
                s0 = hi.fma(FloatVector.fromArray(FS, xq, x0 + 16 + k), lo.fma(FloatVector.fromArray(FS, xq, x0 + k), s0));
                s1 = hi.fma(FloatVector.fromArray(FS, xq, x1 + 16 + k), lo.fma(FloatVector.fromArray(FS, xq, x1 + k), s1));
                s2 = hi.fma(FloatVector.fromArray(FS, xq, x2 + 16 + k), lo.fma(FloatVector.fromArray(FS, xq, x2 + k), s2));
                s3 = hi.fma(FloatVector.fromArray(FS, xq, x3 + 16 + k), lo.fma(FloatVector.fromArray(FS, xq, x3 + k), s3));
            }
            float dw = f16(seg, blk);
            a0 = s0.fma(FloatVector.broadcast(FS, dw * xd[ab0 + b]), a0);
            a1 = s1.fma(FloatVector.broadcast(FS, dw * xd[ab1 + b]), a1);
            a2 = s2.fma(FloatVector.broadcast(FS, dw * xd[ab2 + b]), a2);
            a3 = s3.fma(FloatVector.broadcast(FS, dw * xd[ab3 + b]), a3);
        }
        return four(sum(a0), sum(a1), sum(a2), sum(a3));
    }

    /*
     * The other 32-element formats. The fifth bit of Q5_0/Q5_1 element j is bit j of a 32-bit mask: broadcast the
     * mask and shift each lane by its own element index. IQ4_NL looks its levels up in a 16-entry table held in
     * registers.
     */
    private static final IntVector LANE = IntVector.zero(IS).addIndex(1);
    /*
     * 4-bit levels by table lookup: a 16-entry table of float bit patterns sits in registers (one vector of 16
     * lanes, or two of 8), and the nibble selects a lane. selectFrom wraps indices modulo 16, so a sign-extended
     * byte or its arithmetic shift right by 4 indexes by its low or high nibble directly, and the result is already
     * a float: no masking, offset or conversion.
     */
    private static final IntVector[] NIBBLES = levelTable(i -> i);
    private static final IntVector NIBBLE_LOW = NIBBLES[0];
    private static final IntVector NIBBLE_HIGH = NIBBLES[1];
    private static final IntVector[] Q4_0_LEVELS = levelTable(i -> i - 8);
    private static final IntVector[] IQ4_LEVELS = levelTable(i -> IQ4_NL.VALUES[i]);
    static final IntVector Q4_0_LOW = Q4_0_LEVELS[0];
    static final IntVector Q4_0_HIGH = Q4_0_LEVELS[1];
    private static final IntVector IQ4_LOW = IQ4_LEVELS[0];
    private static final IntVector IQ4_HIGH = IQ4_LEVELS[1];

    private static IntVector[] levelTable(java.util.function.IntUnaryOperator level) {
        int[] bits = new int[32];
        for (int i = 0; i < 32; i++) bits[i] = Float.floatToIntBits(level.applyAsInt(i & 15));
        return new IntVector[] {IntVector.fromArray(IS, bits, 0), IntVector.fromArray(IS, bits, Math.min(L, 16))};
    }

    static FloatVector lookup(IntVector index, IntVector low, IntVector high) {
        return (L >= 16 ? index.selectFrom(low) : index.selectFrom(low, high)).reinterpretAsFloats();
    }

    /** 16 where bit (first + lane) of {@code mask} is set, else 0. */
    private static IntVector fifthBits(IntVector mask, int first) {
        return mask.lanewise(VectorOperators.LSHR, LANE.add(first)).and(1).lanewise(VectorOperators.LSHL, 4);
    }

    /** Q5_0: level − 16 = (nibble | fifth bit) − 16, folded out as −16·Σx with the activation block sums. */
    private static float q5_0(MemorySegment seg, long off, int blocks, Activations a, int ab) {
        float[] xq = a.qf;
        float[] xd = a.d;
        int[] xs = a.qsum;
        FloatVector acc = FloatVector.zero(FS);
        float corr = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = off + 22L * b;
            int xo = (ab + b) * 32;
            IntVector qh = IntVector.broadcast(IS, seg.get(I32, blk + 2));
            FloatVector s = FloatVector.zero(FS);
            for (int k = 0; k < 16; k += L) {
                IntVector q = ints(seg, blk + 6 + k);
                IntVector lo = q.and(0x0F).or(fifthBits(qh, k));
                IntVector hi = q.lanewise(VectorOperators.ASHR, 4).and(0x0F).or(fifthBits(qh, 16 + k));
                s = ((FloatVector) lo.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(FS, xq, xo + k), s);
                s = ((FloatVector) hi.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(FS, xq, xo + 16 + k), s);
            }
            float scale = f16(seg, blk) * xd[ab + b];
            acc = s.fma(FloatVector.broadcast(FS, scale), acc);
            corr += scale * (16 * xs[ab + b]);
        }
        return sum(acc) - corr;
    }

    /** Q4_1 against Q8_1: d_w·d_x·Σ nibble·q_x + m·s_x per block. */
    private static float q4_1(MemorySegment seg, long off, int blocks, Activations a, int ab) {
        float[] xq = a.qf;
        float[] xd = a.d;
        FloatVector acc = FloatVector.zero(FS);
        float mins = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = off + 20L * b;
            int xo = (ab + b) * 32;
            FloatVector s = FloatVector.zero(FS);
            for (int k = 0; k < 16; k += L) {
                IntVector q = ints(seg, blk + 4 + k);
                s = lowNibbles(q).fma(FloatVector.fromArray(FS, xq, xo + k), s);
                s = highNibbles(q).fma(FloatVector.fromArray(FS, xq, xo + 16 + k), s);
            }
            acc = s.fma(FloatVector.broadcast(FS, f16(seg, blk) * xd[ab + b]), acc);
            mins += f16(seg, blk + 2) * a.s[ab + b];
        }
        return sum(acc) + mins;
    }

    /** Q5_1 against Q8_1, as Q4_1 with fifth bits. */
    private static float q5_1(MemorySegment seg, long off, int blocks, Activations a, int ab) {
        float[] xq = a.qf;
        float[] xd = a.d;
        FloatVector acc = FloatVector.zero(FS);
        float mins = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = off + 24L * b;
            int xo = (ab + b) * 32;
            IntVector qh = IntVector.broadcast(IS, seg.get(I32, blk + 4));
            FloatVector s = FloatVector.zero(FS);
            for (int k = 0; k < 16; k += L) {
                IntVector q = ints(seg, blk + 8 + k);
                IntVector lo = q.and(0x0F).or(fifthBits(qh, k));
                IntVector hi = q.lanewise(VectorOperators.ASHR, 4).and(0x0F).or(fifthBits(qh, 16 + k));
                s = ((FloatVector) lo.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(FS, xq, xo + k), s);
                s = ((FloatVector) hi.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(FS, xq, xo + 16 + k), s);
            }
            acc = s.fma(FloatVector.broadcast(FS, f16(seg, blk) * xd[ab + b]), acc);
            mins += f16(seg, blk + 2) * a.s[ab + b];
        }
        return sum(acc) + mins;
    }

    private static float iq4_nl(MemorySegment seg, long off, int blocks, Activations a, int ab) {
        float[] xq = a.qf;
        float[] xd = a.d;
        FloatVector acc = FloatVector.zero(FS);
        for (int b = 0; b < blocks; b++) {
            long blk = off + 18L * b;
            int xo = (ab + b) * 32;
            FloatVector s = FloatVector.zero(FS);
            for (int k = 0; k < 16; k += L) {
                IntVector q = ints(seg, blk + 2 + k);
                s = lookup(q, IQ4_LOW, IQ4_HIGH).fma(FloatVector.fromArray(FS, xq, xo + k), s);
                s = lookup(q.lanewise(VectorOperators.ASHR, 4), IQ4_LOW, IQ4_HIGH).fma(FloatVector.fromArray(FS, xq, xo + 16 + k), s);
            }
            acc = s.fma(FloatVector.broadcast(FS, f16(seg, blk) * xd[ab + b]), acc);
        }
        return sum(acc);
    }

    /** IQ4_XS against Q8_K: eight sub-blocks of 32 in IQ4_NL layout, each with a signed 6-bit scale. */
    private static float iq4_xs(MemorySegment seg, long off, int blocks, Activations a, int ab) {
        float[] xq = a.qf;
        FloatVector acc = FloatVector.zero(FS);
        for (int b = 0; b < blocks; b++) {
            long blk = off + 136L * b;
            int xo = (ab + b) * 256;
            int scalesHigh = Short.toUnsignedInt(seg.get(I16, blk + 2));
            int scalesLow = seg.get(I32, blk + 4);
            FloatVector sb = FloatVector.zero(FS);
            for (int ib = 0; ib < 8; ib++) {
                FloatVector s = FloatVector.zero(FS);
                for (int k = 0; k < 16; k += L) {
                    IntVector q = ints(seg, blk + 8 + 16 * ib + k);
                    s = lookup(q, IQ4_LOW, IQ4_HIGH).fma(FloatVector.fromArray(FS, xq, xo + 32 * ib + k), s);
                    s = lookup(q.lanewise(VectorOperators.ASHR, 4), IQ4_LOW, IQ4_HIGH).fma(FloatVector.fromArray(FS, xq, xo + 32 * ib + 16 + k), s);
                }
                int ls = ((scalesLow >>> (4 * ib)) & 0x0F) | (((scalesHigh >>> (2 * ib)) & 3) << 4);
                sb = s.fma(FloatVector.broadcast(FS, ls - 32), sb);
            }
            acc = sb.fma(FloatVector.broadcast(FS, f16(seg, blk) * a.d[ab + b]), acc);
        }
        return sum(acc);
    }

    // ---- K-quants against Q8_K activations ----

    /*
     * Q4_K/Q5_K pack eight 6-bit scales and mins into 12 bytes; they are read as one long and one int per
     * super-block and decoded with shifts.
     *
     * Helpers that take or return vectors must stay tiny: a vector crossing a call that C2 does not inline is
     * boxed on the heap, which costs more than the arithmetic. So the block loops are written out in place.
     */
    /** Scale j: low 6 bits of byte j (j < 4); else low nibble of byte j+4 plus the top two bits of byte j−4. */
    static int kScale(long s8, int s4, int j) {
        return j < 4 ? (int) (s8 >>> (8 * j)) & 63 : ((s4 >>> (8 * j - 32)) & 15) | ((int) (s8 >>> (8 * j - 30)) & 0x30);
    }

    /**
     * Σ_j min_j · (sum of the activation quants of sub-block j), with the eight 6-bit mins unpacked branch-free:
     * mins 0..3 are the low 6 bits of bytes 4..7; mins 4..7 the high nibbles of bytes 8..11 plus the top two bits
     * of bytes 4..7.
     */
    private static int kMins(long s8, int s4, int[] sums32, int i) {
        int hi = (int) (s8 >>> 32);
        return (hi & 63) * sums32[i]
                + ((hi >>> 8) & 63) * sums32[i + 1]
                + ((hi >>> 16) & 63) * sums32[i + 2]
                + ((hi >>> 24) & 63) * sums32[i + 3]
                + (((s4 >>> 4) & 15) | ((hi >>> 2) & 0x30)) * sums32[i + 4]
                + (((s4 >>> 12) & 15) | ((hi >>> 10) & 0x30)) * sums32[i + 5]
                + (((s4 >>> 20) & 15) | ((hi >>> 18) & 0x30)) * sums32[i + 6]
                + (((s4 >>> 28) & 15) | ((hi >>> 26) & 0x30)) * sums32[i + 7];
    }

    private static float q4_K(MemorySegment seg, long off, int blocks, Activations a, int ab) {
        float[] xq = a.qf;
        float[] scales = new float[8];
        FloatVector acc = FloatVector.zero(FS);
        float corr = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = off + 144L * b;
            int xo = (ab + b) * 256;
            long s8 = seg.get(I64, blk + 4);
            int s4 = seg.get(I32, blk + 12);
            for (int j = 0; j < 8; j++) scales[j] = kScale(s8, s4, j);
            FloatVector sb = FloatVector.zero(FS);
            // Sub-blocks 2g (low nibbles) and 2g+1 (high nibbles), each summed exactly, then scaled into sb.
            for (int g = 0; g < 4; g++) {
                FloatVector s0 = FloatVector.zero(FS), s1 = s0;
                for (int k = 0; k < 32; k += L) {
                    IntVector q = ints(seg, blk + 16 + 32 * g + k);
                    FloatVector lo = (FloatVector) q.and(0x0F).convert(VectorOperators.I2F, 0);
                    FloatVector hi = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(0x0F).convert(VectorOperators.I2F, 0);
                    s0 = lo.fma(FloatVector.fromArray(FS, xq, xo + 64 * g + k), s0);
                    s1 = hi.fma(FloatVector.fromArray(FS, xq, xo + 64 * g + 32 + k), s1);
                }
                sb = s0.fma(FloatVector.broadcast(FS, scales[2 * g]), sb);
                sb = s1.fma(FloatVector.broadcast(FS, scales[2 * g + 1]), sb);
            }
            float dx = a.d[ab + b];
            acc = sb.fma(FloatVector.broadcast(FS, f16(seg, blk) * dx), acc);
            corr += f16(seg, blk + 2) * dx * kMins(s8, s4, a.sums32, 8 * (ab + b));
        }
        return sum(acc) - corr;
    }

    private static FloatVector q4_Kx4(MemorySegment seg, long off, int blocks, Activations a, int ab0, int ab1, int ab2, int ab3) {
        float[] xq = a.qf;
        float[] xd = a.d;
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, a2 = a0, a3 = a0;
        float c0 = 0, c1 = 0, c2 = 0, c3 = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = off + 144L * b;
            long s8 = seg.get(I64, blk + 4);
            int s4 = seg.get(I32, blk + 12);
            int x0 = (ab0 + b) * 256, x1 = (ab1 + b) * 256, x2 = (ab2 + b) * 256, x3 = (ab3 + b) * 256;
            FloatVector t0 = FloatVector.zero(FS), t1 = t0, t2 = t0, t3 = t0;
            for (int g = 0; g < 4; g++) {
                FloatVector sc0 = FloatVector.broadcast(FS, kScale(s8, s4, 2 * g));
                FloatVector sc1 = FloatVector.broadcast(FS, kScale(s8, s4, 2 * g + 1));
                for (int k = 0; k < 32; k += L) {
                    IntVector q = ints(seg, blk + 16 + 32 * g + k);
                    FloatVector lo = lowNibbles(q).mul(sc0);
                    FloatVector hi = highNibbles(q).mul(sc1);
                    int e = 64 * g + k;
                    t0 = hi.fma(FloatVector.fromArray(FS, xq, x0 + e + 32), lo.fma(FloatVector.fromArray(FS, xq, x0 + e), t0));
                    t1 = hi.fma(FloatVector.fromArray(FS, xq, x1 + e + 32), lo.fma(FloatVector.fromArray(FS, xq, x1 + e), t1));
                    t2 = hi.fma(FloatVector.fromArray(FS, xq, x2 + e + 32), lo.fma(FloatVector.fromArray(FS, xq, x2 + e), t2));
                    t3 = hi.fma(FloatVector.fromArray(FS, xq, x3 + e + 32), lo.fma(FloatVector.fromArray(FS, xq, x3 + e), t3));
                }
            }
            float dw = f16(seg, blk);
            float dmin = f16(seg, blk + 2);
            a0 = t0.fma(FloatVector.broadcast(FS, dw * xd[ab0 + b]), a0);
            a1 = t1.fma(FloatVector.broadcast(FS, dw * xd[ab1 + b]), a1);
            a2 = t2.fma(FloatVector.broadcast(FS, dw * xd[ab2 + b]), a2);
            a3 = t3.fma(FloatVector.broadcast(FS, dw * xd[ab3 + b]), a3);
            c0 += dmin * xd[ab0 + b] * kMins(s8, s4, a.sums32, 8 * (ab0 + b));
            c1 += dmin * xd[ab1 + b] * kMins(s8, s4, a.sums32, 8 * (ab1 + b));
            c2 += dmin * xd[ab2 + b] * kMins(s8, s4, a.sums32, 8 * (ab2 + b));
            c3 += dmin * xd[ab3 + b] * kMins(s8, s4, a.sums32, 8 * (ab3 + b));
        }
        return four(sum(a0) - c0, sum(a1) - c1, sum(a2) - c2, sum(a3) - c3);
    }

    private static float q5_K(MemorySegment seg, long off, int blocks, Activations a, int ab) {
        float[] xq = a.qf;
        FloatVector acc = FloatVector.zero(FS);
        float corr = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = off + 176L * b;
            int xo = (ab + b) * 256;
            long s8 = seg.get(I64, blk + 4);
            int s4 = seg.get(I32, blk + 12);
            FloatVector sb = FloatVector.zero(FS);
            // As Q4_K, with the fifth bit of element 32j + l from bit j of qh[l].
            for (int g = 0; g < 4; g++) {
                FloatVector s0 = FloatVector.zero(FS), s1 = s0;
                for (int k = 0; k < 32; k += L) {
                    IntVector q = ints(seg, blk + 48 + 32 * g + k);
                    IntVector h = ints(seg, blk + 16 + k);
                    IntVector lo = q.and(0x0F).or(h.lanewise(VectorOperators.LSHR, 2 * g).and(1).lanewise(VectorOperators.LSHL, 4));
                    IntVector hi = q.lanewise(VectorOperators.ASHR, 4).and(0x0F)
                            .or(h.lanewise(VectorOperators.LSHR, 2 * g + 1).and(1).lanewise(VectorOperators.LSHL, 4));
                    s0 = ((FloatVector) lo.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(FS, xq, xo + 64 * g + k), s0);
                    s1 = ((FloatVector) hi.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(FS, xq, xo + 64 * g + 32 + k), s1);
                }
                sb = s0.fma(FloatVector.broadcast(FS, kScale(s8, s4, 2 * g)), sb);
                sb = s1.fma(FloatVector.broadcast(FS, kScale(s8, s4, 2 * g + 1)), sb);
            }
            float dx = a.d[ab + b];
            acc = sb.fma(FloatVector.broadcast(FS, f16(seg, blk) * dx), acc);
            corr += f16(seg, blk + 2) * dx * kMins(s8, s4, a.sums32, 8 * (ab + b));
        }
        return sum(acc) - corr;
    }

    /*
     * Q6_K: levels 0..63 from 4 low bits (ql) and 2 high bits (qh). The −32 offset is folded out as
     * −32·Σ scale·(the group's activation quant sum, Q8_K's bsums). One 16-element group has one scale.
     */

    /** Element group k (0..3) of a 32-wide slice: low nibble or high nibble of ql, bits 2k..2k+1 of qh on top. */
    static FloatVector q6Level(IntVector ql0, IntVector ql1, IntVector qh, int k) {
        IntVector low = switch (k) {
            case 0 -> ql0.and(0x0F);
            case 1 -> ql1.and(0x0F);
            case 2 -> ql0.lanewise(VectorOperators.ASHR, 4).and(0x0F);
            default -> ql1.lanewise(VectorOperators.ASHR, 4).and(0x0F);
        };
        IntVector high = qh.lanewise(VectorOperators.LSHR, 2 * k).and(3).lanewise(VectorOperators.LSHL, 4);
        return (FloatVector) low.or(high).convert(VectorOperators.I2F, 0);
    }

    private static float scale6(MemorySegment seg, long blk, int i) {
        return seg.get(ValueLayout.JAVA_BYTE, blk + 192 + i);
    }

    /** Σ_j scale_j · bsums_j over the 16 groups of a Q6_K block. */
    private static int scaledSums(MemorySegment seg, long blk, int[] bsums, int bs) {
        IntVector acc = IntVector.zero(IS);
        for (int j = 0; j < 16; j += L) acc = acc.add(ints(seg, blk + 192 + j).mul(IntVector.fromArray(IS, bsums, bs + j)));
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static float q6_K(MemorySegment seg, long off, int blocks, Activations a, int ab) {
        float[] xq = a.qf;
        float[] scales = new float[16];
        FloatVector acc = FloatVector.zero(FS);
        float corr = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = off + 210L * b;
            int xo = (ab + b) * 256;
            // The 16 scales as floats in a small array: each group then takes one broadcast load.
            for (int j = 0; j < 16; j += L) bytesToFloats(bytes(seg, blk + 192 + j)).intoArray(scales, j);
            FloatVector sb = FloatVector.zero(FS);
            for (int h = 0; h < 2; h++) {
                for (int l = 0; l < 32; l += L) {
                    IntVector ql0 = ints(seg, blk + 64 * h + l);
                    IntVector ql1 = ints(seg, blk + 64 * h + 32 + l);
                    // qh moved up by 4: its bit pairs 2k..2k+1 land on 4..5 after a right shift by 2k.
                    IntVector qh = ints(seg, blk + 128 + 32 * h + l).lanewise(VectorOperators.LSHL, 4);
                    int e = xo + 128 * h + l;
                    int si = 8 * h + l / 16;
                    IntVector q0 = ql0.and(0x0F).or(qh.and(0x30));
                    IntVector q1 = ql1.and(0x0F).or(qh.lanewise(VectorOperators.LSHR, 2).and(0x30));
                    IntVector q2 = ql0.lanewise(VectorOperators.LSHR, 4).and(0x0F).or(qh.lanewise(VectorOperators.LSHR, 4).and(0x30));
                    IntVector q3 = ql1.lanewise(VectorOperators.LSHR, 4).and(0x0F).or(qh.lanewise(VectorOperators.LSHR, 6).and(0x30));
                    sb = ((FloatVector) q0.convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(FS, xq, e))
                            .fma(FloatVector.broadcast(FS, scales[si]), sb);
                    sb = ((FloatVector) q1.convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(FS, xq, e + 32))
                            .fma(FloatVector.broadcast(FS, scales[si + 2]), sb);
                    sb = ((FloatVector) q2.convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(FS, xq, e + 64))
                            .fma(FloatVector.broadcast(FS, scales[si + 4]), sb);
                    sb = ((FloatVector) q3.convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(FS, xq, e + 96))
                            .fma(FloatVector.broadcast(FS, scales[si + 6]), sb);
                }
            }
            float dd = f16(seg, blk + 208) * a.d[ab + b];
            acc = sb.fma(FloatVector.broadcast(FS, dd), acc);
            corr += dd * (32 * scaledSums(seg, blk, a.bsums, 16 * (ab + b)));
        }
        return sum(acc) - corr;
    }

    private static FloatVector q6_Kx4(MemorySegment seg, long off, int blocks, Activations a, int ab0, int ab1, int ab2, int ab3) {
        float[] xq = a.qf;
        float[] xd = a.d;
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, a2 = a0, a3 = a0;
        float c0 = 0, c1 = 0, c2 = 0, c3 = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = off + 210L * b;
            FloatVector t0 = FloatVector.zero(FS), t1 = t0, t2 = t0, t3 = t0;
            int x0 = (ab0 + b) * 256, x1 = (ab1 + b) * 256, x2 = (ab2 + b) * 256, x3 = (ab3 + b) * 256;
            for (int h = 0; h < 2; h++) {
                for (int l = 0; l < 32; l += L) {
                    IntVector ql0 = ints(seg, blk + 64 * h + l);
                    IntVector ql1 = ints(seg, blk + 64 * h + 32 + l);
                    IntVector qh = ints(seg, blk + 128 + 32 * h + l);
                    int si = 8 * h + l / 16;
                    for (int k = 0; k < 4; k++) {
                        FloatVector wv = q6Level(ql0, ql1, qh, k).mul(scale6(seg, blk, si + 2 * k));
                        int e = 128 * h + 32 * k + l;
                        t0 = wv.fma(FloatVector.fromArray(FS, xq, x0 + e), t0);
                        t1 = wv.fma(FloatVector.fromArray(FS, xq, x1 + e), t1);
                        t2 = wv.fma(FloatVector.fromArray(FS, xq, x2 + e), t2);
                        t3 = wv.fma(FloatVector.fromArray(FS, xq, x3 + e), t3);
                    }
                }
            }
            float dw = f16(seg, blk + 208);
            float d0 = dw * xd[ab0 + b], d1 = dw * xd[ab1 + b], d2 = dw * xd[ab2 + b], d3 = dw * xd[ab3 + b];
            a0 = t0.fma(FloatVector.broadcast(FS, d0), a0);
            a1 = t1.fma(FloatVector.broadcast(FS, d1), a1);
            a2 = t2.fma(FloatVector.broadcast(FS, d2), a2);
            a3 = t3.fma(FloatVector.broadcast(FS, d3), a3);
            c0 += d0 * (32 * scaledSums(seg, blk, a.bsums, 16 * (ab0 + b)));
            c1 += d1 * (32 * scaledSums(seg, blk, a.bsums, 16 * (ab1 + b)));
            c2 += d2 * (32 * scaledSums(seg, blk, a.bsums, 16 * (ab2 + b)));
            c3 += d3 * (32 * scaledSums(seg, blk, a.bsums, 16 * (ab3 + b)));
        }
        return four(sum(a0) - c0, sum(a1) - c1, sum(a2) - c2, sum(a3) - c3);
    }
}
