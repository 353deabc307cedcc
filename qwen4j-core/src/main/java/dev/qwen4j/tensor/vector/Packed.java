package dev.qwen4j.tensor.vector;

import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.tensor.MatmulKernel;
import dev.qwen4j.tensor.MemoryAdvice;
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

import static dev.qwen4j.tensor.vector.VectorMatmul.FS;
import static dev.qwen4j.tensor.vector.VectorMatmul.IS;
import static dev.qwen4j.tensor.vector.VectorMatmul.L;

/**
 * Row-interleaved copies of 4-bit weights for the one-token products, with the rows in SIMD lanes.
 *
 * <p>The file's layout keeps each row's blocks together, so a one-row kernel has to widen every nibble to a
 * float lane and close every block with a horizontal scale. Here {@link #G} rows (one 16-bit lane each: 32 with
 * 512-bit vectors) are interleaved block by block: for each block, the G scales, then for each byte position
 * of the block, that byte of each of the G rows. One load then gives one byte of G rows, its two nibbles are
 * two elements of each row, and each is multiplied by one activation quant broadcast to all lanes, in 16-bit
 * integer lanes: level (0..15) × quant (|q| ≤ 127) summed over at most 16 elements stays below 2^15. Block sums
 * are widened to 32-bit ints once per block, corrected for the level offset with the activation block sums,
 * converted and scaled (d_w per lane × d_x) into float accumulators, one per G/L rows.
 *
 * <p>The numerics are those of the row kernels: an exact integer dot per block, times d_w·d_x in float, summed
 * over the blocks in order. Q6_K has its own layout and kernels in {@link PackedQ6K}; this class dispatches.
 */
final class Packed {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    /** Short lanes per vector: rows per interleaved group. */
    static final VectorSpecies<Short> SS = VectorSpecies.of(short.class, FS.vectorShape());
    static final int G = SS.length();
    private static final VectorSpecies<Byte> BG = VectorSpecies.of(byte.class, VectorShape.forBitSize(G * 8));
    private static final VectorSpecies<Byte> BL = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));

    /** Copies of at least one huge page (2 MiB) are asked to be backed by them ({@link MemoryAdvice#allocateHuge}). */
    private static final boolean HUGE_PAGES = !"false".equals(System.getProperty("qwen4j.hugepages"));

    private Packed() {
    }

    static boolean supports(GgmlType type) {
        return type == GgmlType.Q4_0 || type == GgmlType.Q4_K || type == GgmlType.Q6_K || type == GgmlType.Q8_0;
    }

    /** The interleaved copy of {@code w}'s whole groups of G rows (rows past the last whole group are left out). */
    static MemorySegment pack(Tensor w, Arena arena, MatmulKernel.Parallel parallel) {
        return switch (w.type()) {
            case Q4_0 -> packQ4_0(w, arena, parallel);
            case Q4_K -> PackedQ4K.pack(w, arena, parallel);
            case Q8_0 -> PackedQ8.pack(w, arena, parallel);
            case Q6_K -> PackedQ6K.pack(w, arena, parallel);
            default -> throw new IllegalArgumentException("no interleaved layout for " + w.type());
        };
    }

    /**
     * Group {@code g} of a Q4_0 copy for the 16-bit integer tiles: {@code w[k·G + lane]} = level − 8 of row lane's
     * element k in both 16-bit halves of an int (one broadcast fills the short lanes), {@code wd[b·G + lane]} = d.
     */
    static void unpackQ4_0Pairs(MemorySegment p, int g, int blocks, int[] w, float[] wd) {
        long base = groupOffset(g, blocks);
        for (int b = 0; b < blocks; b++) {
            long blk = base + (long) b * Q4_0_GROUP_BLOCK;
            scalesInto(p, blk, wd, b * G);
            for (int s = 0; s < 16; s++) {
                for (int part = 0; part < 2; part++) {
                    IntVector q = (IntVector) ByteVector.fromMemorySegment(BL, p, blk + 2 * G + (long) s * G + (long) part * L, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, IS, 0);
                    IntVector lo = q.and(15).sub(8);
                    IntVector hi = q.lanewise(VectorOperators.LSHR, 4).sub(8);
                    lo.and(0xFFFF).or(lo.lanewise(VectorOperators.LSHL, 16)).intoArray(w, (32 * b + s) * G + part * L);
                    hi.and(0xFFFF).or(hi.lanewise(VectorOperators.LSHL, 16)).intoArray(w, (32 * b + 16 + s) * G + part * L);
                }
            }
        }
    }

    /** Rows {@code [g0·G, g1·G)} of {@code w} for every vector of the batch ({@code out[b·rows + r]}). */
    static void multiply(Tensor w, MemorySegment p, Activations a, float[] out, int g0, int g1) {
        switch (w.type()) {
            case Q4_0 -> multiplyQ4_0(w, p, a, out, g0, g1);
            case Q4_K -> PackedQ4K.multiply(w, p, a, out, g0, g1);
            case Q8_0 -> PackedQ8.multiply(w, p, a, out, g0, g1);
            case Q6_K -> PackedQ6K.multiply(w, p, a, out, g0, g1);
            default -> throw new IllegalArgumentException("no interleaved layout for " + w.type());
        }
    }

    /**
     * Group {@code g} of a Q8_0 or Q6_K copy unpacked for the batched fp32 tiles, element-major: {@code w[k·G + lane]}
     * = row lane's element k (quant, or (level − 32) × sub-block scale for Q6_K, as a float), {@code wd[b·G + lane]}
     * = the row's scale d of block b. (Q4_0 and Q4_K go to the 16-bit tiles: {@link #unpackQ4_0Pairs},
     * {@link PackedQ4K#unpackPairs}.)
     */
    static void unpack(GgmlType type, MemorySegment p, int g, int blocks, float[] w, float[] wd) {
        switch (type) {
            case Q8_0 -> PackedQ8.unpack(p, g, blocks, w, wd);
            case Q6_K -> PackedQ6K.unpack(p, g, blocks, w, wd);
            default -> throw new IllegalArgumentException("no interleaved layout for " + type);
        }
    }

    /** Bytes of one group's block: G scales (F16) and G copies of the block's 16 quant bytes. */
    private static final int Q4_0_GROUP_BLOCK = G * 18;

    private static MemorySegment packQ4_0(Tensor w, Arena arena, MatmulKernel.Parallel parallel) {
        int blocks = w.rowLength() / 32;
        return packGroups(w, arena, parallel, blocks * Q4_0_GROUP_BLOCK, (row, lane, out) -> {
            for (int b = 0; b < blocks; b++) {
                int o = b * Q4_0_GROUP_BLOCK;
                out[o + 2 * lane] = row[18 * b];
                out[o + 2 * lane + 1] = row[18 * b + 1];
                for (int s = 0; s < 16; s++) out[o + 2 * G + s * G + lane] = row[18 * b + 2 + s];
            }
        });
    }

    /**
     * The G F16 values at {@code off} (a group's scales) as floats into {@code dst[at .. at + G)}. The conversion
     * is {@link VectorMatmul#halfs}; this method returns nothing, so where C2 leaves the call standing (it will
     * not inline halfs into the big kernels) no vector is boxed on the way.
     */
    static void scalesInto(MemorySegment p, long off, float[] dst, int at) {
        VectorMatmul.halfs(p, off).intoArray(dst, at);
        VectorMatmul.halfs(p, off + 2L * L).intoArray(dst, at + L);
    }

    /** Puts one row's bytes ({@code row}) into lane {@code lane} of its group's interleaved bytes. */
    @FunctionalInterface
    interface RowPacker {
        void pack(byte[] row, int lane, byte[] group);
    }

    /**
     * The interleaved copy of {@code w}'s whole groups of G rows, {@code groupBytes} each, filled row by row by
     * {@code packer}, groups spread over the kernels' threads.
     */
    static MemorySegment packGroups(Tensor w, Arena arena, MatmulKernel.Parallel parallel, int groupBytes, RowPacker packer) {
        int groups = Math.toIntExact(w.rows() / G);
        MemorySegment src = w.data();
        long rowBytes = w.rowBytes();
        long size = (long) groups * groupBytes;
        MemorySegment dst = HUGE_PAGES ? MemoryAdvice.allocateHuge(size, arena) : arena.allocate(size, 64);
        parallel.run(groups, (from, to) -> {
            byte[] row = new byte[Math.toIntExact(rowBytes)];
            byte[] group = new byte[groupBytes];
            for (int g = from; g < to; g++) {
                for (int lane = 0; lane < G; lane++) {
                    MemorySegment.copy(src, ValueLayout.JAVA_BYTE, (long) (g * G + lane) * rowBytes, row, 0, row.length);
                    packer.pack(row, lane, group);
                }
                MemorySegment.copy(group, 0, dst, ValueLayout.JAVA_BYTE, (long) g * groupBytes, groupBytes);
            }
        });
        return dst;
    }

    /** Offset of group {@code g}'s first block. */
    private static long groupOffset(int g, int blocks) {
        return (long) g * blocks * Q4_0_GROUP_BLOCK;
    }

    private static void multiplyQ4_0(Tensor w, MemorySegment p, Activations a, float[] out, int g0, int g1) {
        int rows = Math.toIntExact(w.rows());
        int blocks = a.n / 32;
        for (int g = g0; g < g1; g++) {
            long base = groupOffset(g, blocks);
            // Small batches (a token and its drafts): the nibbles of each load, split once, serve 2 or 4 tokens,
            // with each token's arithmetic exactly that of the one-token kernel.
            int t = 0;
            for (; t + 3 <= a.batch; t += 4) q4_0x4(p, base, blocks, a, t, Math.min(t + 3, a.batch - 1), out, rows, g * G, t + 3 < a.batch);
            if (t + 2 == a.batch) q4_0x2(p, base, blocks, a, t, out, rows, g * G);
            else if (t + 1 == a.batch) q4_0(p, base, blocks, a, t * blocks, out, t * rows + g * G);
        }
    }

    /** Tokens t and t+1 over one group, as {@link #q4_0} does each. */
    private static void q4_0x2(MemorySegment p, long base, int blocks, Activations a, int t, float[] out, int rows, int o) {
        int[] xp = a.qpairs();
        float[] xd = a.d;
        int[] xs = a.qsum;
        int ya = t * blocks, yb = ya + blocks;
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, b0 = a0, b1 = a0;
        long touched = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = base + (long) b * Q4_0_GROUP_BLOCK;
            int xa = (ya + b) * 32, xb = (yb + b) * 32;
            touched += p.get(ValueLayout.JAVA_BYTE, blk);
            ShortVector sa = IntVector.broadcast(IS, Activations.pair(-8 * xs[ya + b])).reinterpretAsShorts();
            ShortVector sb = IntVector.broadcast(IS, Activations.pair(-8 * xs[yb + b])).reinterpretAsShorts();
            for (int s = 0; s < 16; s++) {
                IntVector v = ((ShortVector) ByteVector.fromMemorySegment(BG, p, blk + 2 * G + (long) s * G, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, SS, 0)).reinterpretAsInts();
                ShortVector l = v.and(0x000F000F).reinterpretAsShorts();
                ShortVector h = v.lanewise(VectorOperators.LSHR, 4).and(0x000F000F).reinterpretAsShorts();
                sa = l.mul(IntVector.broadcast(IS, xp[xa + s]).reinterpretAsShorts()).add(sa);
                sa = h.mul(IntVector.broadcast(IS, xp[xa + 16 + s]).reinterpretAsShorts()).add(sa);
                sb = l.mul(IntVector.broadcast(IS, xp[xb + s]).reinterpretAsShorts()).add(sb);
                sb = h.mul(IntVector.broadcast(IS, xp[xb + 16 + s]).reinterpretAsShorts()).add(sb);
            }
            IntVector d0h = (IntVector) ShortVector.fromMemorySegment(VectorMatmul.SS, p, blk, LE).convertShape(VectorOperators.S2I, IS, 0);
            FloatVector d0 = d0h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(d0h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            IntVector d1h = (IntVector) ShortVector.fromMemorySegment(VectorMatmul.SS, p, blk + 2L * L, LE).convertShape(VectorOperators.S2I, IS, 0);
            FloatVector d1 = d1h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(d1h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            float da = xd[ya + b], db = xd[yb + b];
            a0 = ((FloatVector) ((IntVector) sa.convertShape(VectorOperators.S2I, IS, 0)).convert(VectorOperators.I2F, 0)).fma(d0.mul(da), a0);
            a1 = ((FloatVector) ((IntVector) sa.convertShape(VectorOperators.S2I, IS, 1)).convert(VectorOperators.I2F, 0)).fma(d1.mul(da), a1);
            b0 = ((FloatVector) ((IntVector) sb.convertShape(VectorOperators.S2I, IS, 0)).convert(VectorOperators.I2F, 0)).fma(d0.mul(db), b0);
            b1 = ((FloatVector) ((IntVector) sb.convertShape(VectorOperators.S2I, IS, 1)).convert(VectorOperators.I2F, 0)).fma(d1.mul(db), b1);
        }
        if (touched == Long.MIN_VALUE) a0 = a0.add(1);   // never: keeps the reads above from being dropped
        a0.intoArray(out, t * rows + o);
        a1.intoArray(out, t * rows + o + L);
        b0.intoArray(out, (t + 1) * rows + o);
        b1.intoArray(out, (t + 1) * rows + o + L);
    }

    /**
     * Tokens t, t+1, t+2 and {@code t3} (t+3, or a repeat of t+2 whose results are not stored when
     * {@code storeLast} is false) over one group, as {@link #q4_0} does each.
     */
    private static void q4_0x4(MemorySegment p, long base, int blocks, Activations a, int t, int t3, float[] out, int rows, int o,
                               boolean storeLast) {
        int[] xp = a.qpairs();
        float[] xd = a.d;
        int[] xs = a.qsum;
        int ya = t * blocks, yb = ya + blocks, yc = yb + blocks, ye = t3 * blocks;
        FloatVector a0 = FloatVector.zero(FS), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, e0 = a0, e1 = a0;
        long touched = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = base + (long) b * Q4_0_GROUP_BLOCK;
            int xa = (ya + b) * 32, xb = (yb + b) * 32, xc = (yc + b) * 32, xe = (ye + b) * 32;
            touched += p.get(ValueLayout.JAVA_BYTE, blk);
            ShortVector sa = IntVector.broadcast(IS, Activations.pair(-8 * xs[ya + b])).reinterpretAsShorts();
            ShortVector sb = IntVector.broadcast(IS, Activations.pair(-8 * xs[yb + b])).reinterpretAsShorts();
            ShortVector sc = IntVector.broadcast(IS, Activations.pair(-8 * xs[yc + b])).reinterpretAsShorts();
            ShortVector se = IntVector.broadcast(IS, Activations.pair(-8 * xs[ye + b])).reinterpretAsShorts();
            for (int s = 0; s < 16; s++) {
                IntVector v = ((ShortVector) ByteVector.fromMemorySegment(BG, p, blk + 2 * G + (long) s * G, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, SS, 0)).reinterpretAsInts();
                ShortVector l = v.and(0x000F000F).reinterpretAsShorts();
                ShortVector h = v.lanewise(VectorOperators.LSHR, 4).and(0x000F000F).reinterpretAsShorts();
                sa = l.mul(IntVector.broadcast(IS, xp[xa + s]).reinterpretAsShorts()).add(sa);
                sa = h.mul(IntVector.broadcast(IS, xp[xa + 16 + s]).reinterpretAsShorts()).add(sa);
                sb = l.mul(IntVector.broadcast(IS, xp[xb + s]).reinterpretAsShorts()).add(sb);
                sb = h.mul(IntVector.broadcast(IS, xp[xb + 16 + s]).reinterpretAsShorts()).add(sb);
                sc = l.mul(IntVector.broadcast(IS, xp[xc + s]).reinterpretAsShorts()).add(sc);
                sc = h.mul(IntVector.broadcast(IS, xp[xc + 16 + s]).reinterpretAsShorts()).add(sc);
                se = l.mul(IntVector.broadcast(IS, xp[xe + s]).reinterpretAsShorts()).add(se);
                se = h.mul(IntVector.broadcast(IS, xp[xe + 16 + s]).reinterpretAsShorts()).add(se);
            }
            IntVector d0h = (IntVector) ShortVector.fromMemorySegment(VectorMatmul.SS, p, blk, LE).convertShape(VectorOperators.S2I, IS, 0);
            FloatVector d0 = d0h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(d0h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            IntVector d1h = (IntVector) ShortVector.fromMemorySegment(VectorMatmul.SS, p, blk + 2L * L, LE).convertShape(VectorOperators.S2I, IS, 0);
            FloatVector d1 = d1h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(d1h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            float da = xd[ya + b], db = xd[yb + b], dc = xd[yc + b], de = xd[ye + b];
            a0 = ((FloatVector) ((IntVector) sa.convertShape(VectorOperators.S2I, IS, 0)).convert(VectorOperators.I2F, 0)).fma(d0.mul(da), a0);
            a1 = ((FloatVector) ((IntVector) sa.convertShape(VectorOperators.S2I, IS, 1)).convert(VectorOperators.I2F, 0)).fma(d1.mul(da), a1);
            b0 = ((FloatVector) ((IntVector) sb.convertShape(VectorOperators.S2I, IS, 0)).convert(VectorOperators.I2F, 0)).fma(d0.mul(db), b0);
            b1 = ((FloatVector) ((IntVector) sb.convertShape(VectorOperators.S2I, IS, 1)).convert(VectorOperators.I2F, 0)).fma(d1.mul(db), b1);
            c0 = ((FloatVector) ((IntVector) sc.convertShape(VectorOperators.S2I, IS, 0)).convert(VectorOperators.I2F, 0)).fma(d0.mul(dc), c0);
            c1 = ((FloatVector) ((IntVector) sc.convertShape(VectorOperators.S2I, IS, 1)).convert(VectorOperators.I2F, 0)).fma(d1.mul(dc), c1);
            e0 = ((FloatVector) ((IntVector) se.convertShape(VectorOperators.S2I, IS, 0)).convert(VectorOperators.I2F, 0)).fma(d0.mul(de), e0);
            e1 = ((FloatVector) ((IntVector) se.convertShape(VectorOperators.S2I, IS, 1)).convert(VectorOperators.I2F, 0)).fma(d1.mul(de), e1);
        }
        if (touched == Long.MIN_VALUE) a0 = a0.add(1);   // never: keeps the reads above from being dropped
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

    private static void q4_0(MemorySegment p, long base, int blocks, Activations a, int ab, float[] out, int o) {
        int[] xp = a.qpairs();
        float[] xd = a.d;
        int[] xs = a.qsum;
        FloatVector acc0 = FloatVector.zero(FS), acc1 = acc0;
        long touched = 0;
        for (int b = 0; b < blocks; b++) {
            long blk = base + (long) b * Q4_0_GROUP_BLOCK;
            int xo = (ab + b) * 32;
            // One 16-bit sum per lane, started at −8·Σx: the nibble products may wrap around on the way, but the
            // final value, Σ (nibble − 8)·x with |Σ| ≤ 32·8·127 < 2^15, is exact modulo 2^16 and so exact.
            touched += p.get(ValueLayout.JAVA_BYTE, blk);     // the scales' line before the quants: see PackedQ4K.dot
            ShortVector sum = IntVector.broadcast(IS, Activations.pair(-8 * xs[ab + b])).reinterpretAsShorts();
            for (int s = 0; s < 16; s++) {
                IntVector v = ((ShortVector) ByteVector.fromMemorySegment(BG, p, blk + 2 * G + (long) s * G, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, SS, 0)).reinterpretAsInts();
                ShortVector l = v.and(0x000F000F).reinterpretAsShorts();
                ShortVector h = v.lanewise(VectorOperators.LSHR, 4).and(0x000F000F).reinterpretAsShorts();
                sum = l.mul(IntVector.broadcast(IS, xp[xo + s]).reinterpretAsShorts()).add(sum);
                sum = h.mul(IntVector.broadcast(IS, xp[xo + 16 + s]).reinterpretAsShorts()).add(sum);
            }
            IntVector s0 = (IntVector) sum.convertShape(VectorOperators.S2I, IS, 0);
            IntVector s1 = (IntVector) sum.convertShape(VectorOperators.S2I, IS, 1);
            float dx = xd[ab + b];
            // F16 → F32 written out (VectorMatmul.halfs): C2 does not inline that helper here, and each call boxes.
            IntVector d0h = (IntVector) ShortVector.fromMemorySegment(VectorMatmul.SS, p, blk, LE).convertShape(VectorOperators.S2I, IS, 0);
            FloatVector d0 = d0h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(d0h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            IntVector d1h = (IntVector) ShortVector.fromMemorySegment(VectorMatmul.SS, p, blk + 2L * L, LE).convertShape(VectorOperators.S2I, IS, 0);
            FloatVector d1 = d1h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(d1h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            acc0 = ((FloatVector) s0.convert(VectorOperators.I2F, 0)).fma(d0.mul(dx), acc0);
            acc1 = ((FloatVector) s1.convert(VectorOperators.I2F, 0)).fma(d1.mul(dx), acc1);
        }
        if (touched == Long.MIN_VALUE) acc0 = acc0.add(1);   // never: keeps the reads above from being dropped
        acc0.intoArray(out, o);
        acc1.intoArray(out, o + L);
    }
}
