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
