package dev.qwen4j.bench;

import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Large random weight matrices off the heap (as a mapped GGUF would be): random quant bytes, sane F16 scales. */
final class BenchWeights {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private BenchWeights() {
    }

    static Tensor random(Arena arena, GgmlType type, long rows, int columns, long seed) {
        long bytes = type.rowBytes(columns) * rows;
        MemorySegment seg = arena.allocate(bytes, 64);
        long s = seed * 0x9E3779B97F4A7C15L + 1;
        long i = 0;
        for (; i + 8 <= bytes; i += 8) {
            s ^= s << 13;
            s ^= s >>> 7;
            s ^= s << 17;
            seg.set(I64, i, type == GgmlType.F16 ? s & 0x3BFF3BFF3BFF3BFFL : s); // F16: finite values below 1
        }
        int[] scales = switch (type) {
            case Q4_0, Q5_0, Q8_0, IQ4_NL, IQ4_XS -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q2_K -> new int[] {80, 82};
            case Q3_K -> new int[] {108};
            case Q6_K -> new int[] {208};
            default -> new int[0];
        };
        short small = Float.floatToFloat16(0.01f);
        for (long blk = 0; blk < bytes && scales.length > 0; blk += type.typeSize) {
            for (int f : scales) seg.set(I16, blk + f, small);
        }
        return new Tensor("bench." + type, type, new long[] {columns, rows}, seg);
    }
}
