package dev.qwen4j.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/** Seeded random tensors of any supported type: random quant bytes with sane F16 scales. */
public final class RandomWeights {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private RandomWeights() {
    }

    /** Byte offsets of the F16 scale fields inside one block of {@code type}. */
    static int[] scaleFields(GgmlType type) {
        return switch (type) {
            case Q4_0, Q5_0, Q8_0, IQ4_NL, IQ4_XS -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q2_K -> new int[] {80, 82};
            case Q3_K -> new int[] {108};
            case Q6_K -> new int[] {208};
            default -> new int[0];
        };
    }

    public static Tensor tensor(GgmlType type, int rows, int n, long seed) {
        Random r = new Random(seed);
        long bytes = type.rowBytes(n) * rows;
        MemorySegment seg = MemorySegment.ofArray(new byte[Math.toIntExact(bytes)]);
        switch (type) {
            case F32 -> {
                for (long i = 0; i < bytes / 4; i++) seg.set(F32, 4 * i, (float) r.nextGaussian());
            }
            case F16 -> {
                for (long i = 0; i < bytes / 2; i++) seg.set(I16, 2 * i, Float.floatToFloat16((float) r.nextGaussian()));
            }
            case BF16 -> {
                for (long i = 0; i < bytes / 2; i++) {
                    seg.set(I16, 2 * i, (short) (Float.floatToIntBits((float) r.nextGaussian()) >>> 16));
                }
            }
            default -> {
                byte[] b = new byte[(int) bytes];
                r.nextBytes(b);
                MemorySegment.copy(b, 0, seg, ValueLayout.JAVA_BYTE, 0, b.length);
                for (long blk = 0; blk < bytes; blk += type.typeSize) {
                    for (int f : scaleFields(type)) {
                        seg.set(I16, blk + f, Float.floatToFloat16((float) (0.001 + 0.02 * r.nextDouble())));
                    }
                }
            }
        }
        return new Tensor("random." + type, type, new long[] {n, rows}, seg);
    }

    public static float[] vector(int length, long seed) {
        Random r = new Random(seed);
        float[] x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float) r.nextGaussian();
        return x;
    }
}
