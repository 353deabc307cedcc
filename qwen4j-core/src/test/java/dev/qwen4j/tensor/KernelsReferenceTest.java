package dev.qwen4j.tensor;

import dev.qwen4j.tensor.quant.Activations;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Portable and vector kernels against double-precision references and exact integer sums. */
class KernelsReferenceTest {
    static final Kernels PORTABLE = Kernels.create(2, Kernels.Implementation.PORTABLE);
    static final Kernels VECTOR = Kernels.create(2, Kernels.Implementation.VECTOR);

    @AfterAll
    static void close() {
        PORTABLE.close();
        VECTOR.close();
    }

    /**
     * Σ w·x in double, with w dequantized and x converted exactly as the kernel converts it (Q8 blocks, F16/BF16
     * rounding): the kernel may differ from this only by fp32 rounding of the sums.
     */
    static double[] emulatedReference(Tensor w, float[] x, int batch) {
        int n = w.rowLength();
        int rows = (int) w.rows();
        Activations a = new Activations();
        a.prepare(Activations.kindFor(w.type()), x, n, batch);
        double[] xa = new double[n * batch];
        int block = switch (a.kind) {
            case Q8_0, Q8_1 -> 32;
            case Q8_K -> 256;
            default -> 0;
        };
        for (int i = 0; i < n * batch; i++) xa[i] = block == 0 ? a.x[i] : a.q[i] * (double) a.d[i / block];
        double[] out = new double[rows * batch];
        float[] row = new float[n];
        for (int r = 0; r < rows; r++) {
            RowFetch.dequantize(w, r, row);
            for (int b = 0; b < batch; b++) {
                double s = 0;
                for (int c = 0; c < n; c++) s += row[c] * xa[b * n + c];
                out[b * rows + r] = s;
            }
        }
        return out;
    }

    /** Σ|w·x| per output, the scale against which rounding differences are judged. */
    static double[] magnitude(Tensor w, float[] x, int batch) {
        int n = w.rowLength();
        int rows = (int) w.rows();
        double[] out = new double[rows * batch];
        float[] row = new float[n];
        for (int r = 0; r < rows; r++) {
            RowFetch.dequantize(w, r, row);
            for (int b = 0; b < batch; b++) {
                double s = 0;
                for (int c = 0; c < n; c++) s += Math.abs(row[c] * (double) x[b * n + c]);
                out[b * rows + r] = s;
            }
        }
        return out;
    }

    static final class RowFetch {
        static void dequantize(Tensor w, int r, float[] row) {
            dev.qwen4j.tensor.quant.RowCodec.dequantize(w.type(), w.data(), r * w.rowBytes(), row, 0, w.rowLength());
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL", "Q2_K", "Q3_K", "Q4_K",
            "Q5_K", "Q6_K", "IQ4_XS"})
    void matmulMatchesTheEmulatedDoubleReference(GgmlType type) {
        int n = 512;
        int rows = 37;
        Tensor w = RandomWeights.tensor(type, rows, n, 42 + type.id);
        for (int batch : new int[] {1, 3}) {
            float[] x = RandomWeights.vector(n * batch, 7 + batch);
            double[] ref = emulatedReference(w, x, batch);
            double[] mag = magnitude(w, x, batch);
            for (Kernels k : new Kernels[] {PORTABLE, VECTOR}) {
                float[] out = new float[rows * batch];
                k.matmul(w, x, batch, out);
                for (int i = 0; i < out.length; i++) {
                    assertEquals(ref[i], out[i], 2e-5 * mag[i] + 1e-6,
                            k.implementation() + " " + type + " batch " + batch + " output " + i);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "Q8_0", "Q4_0", "Q4_K", "Q6_K", "Q5_K", "IQ4_XS"})
    void activationConversionStaysCloseToThePlainFloatProduct(GgmlType type) {
        int n = 1024;
        int rows = 8;
        Tensor w = RandomWeights.tensor(type, rows, n, 5);
        float[] x = RandomWeights.vector(n, 6);
        float[] out = new float[rows];
        PORTABLE.matvec(w, x, out);
        float[] row = new float[n];
        for (int r = 0; r < rows; r++) {
            RowFetch.dequantize(w, r, row);
            double s = 0;
            double mag = 0;
            for (int c = 0; c < n; c++) {
                s += row[c] * (double) x[c];
                mag += Math.abs(row[c] * (double) x[c]);
            }
            assertEquals(s, out[r], 0.01 * mag, type + " row " + r);
        }
    }

    /** Q8_0 weights with d = 1 against integer activations with amax 127 (so d_x = 1): the exact integer dot. */
    @Test
    void q8_0DotIsTheExactIntegerDot() {
        int n = 4096;
        int rows = 5;
        Random rnd = new Random(3);
        byte[] bytes = new byte[rows * n / 32 * 34];
        MemorySegment seg = MemorySegment.ofArray(bytes);
        byte[] wq = new byte[rows * n];
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < n / 32; b++) {
                long blk = (long) (r * n / 32 + b) * 34;
                seg.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), blk, Float.floatToFloat16(1f));
                for (int i = 0; i < 32; i++) {
                    byte q = (byte) (rnd.nextInt(256) - 128);
                    bytes[(int) blk + 2 + i] = q;
                    wq[r * n + 32 * b + i] = q;
                }
            }
        }
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = rnd.nextInt(255) - 127;
        for (int b = 0; b < n / 32; b++) x[32 * b] = 127; // every block's amax is 127, so d_x = 1
        Tensor w = new Tensor("int", GgmlType.Q8_0, new long[] {n, rows}, seg);
        for (Kernels k : new Kernels[] {PORTABLE, VECTOR}) {
            float[] out = new float[rows];
            k.matvec(w, x, out);
            for (int r = 0; r < rows; r++) {
                long exact = 0;
                for (int i = 0; i < n; i++) exact += wq[r * n + i] * (long) x[i];
                assertEquals((float) exact, out[r], k.implementation() + " row " + r);
            }
        }
    }

    @Test
    void q8_0ActivationsRoundHalfToEvenWithTheUnroundedScale() {
        float[] x = new float[32];
        x[0] = 127f;
        x[1] = 2.5f;
        x[2] = -2.5f;
        x[3] = 3.5f;
        Activations a = new Activations();
        a.prepare(Activations.Kind.Q8_0, x, 32, 1);
        assertEquals(127, a.q[0]);
        assertEquals(2, a.q[1]);
        assertEquals(-2, a.q[2]);
        assertEquals(4, a.q[3]);
        assertEquals(1f, a.d[0]);
    }

    @Test
    void q8_KActivationsScaleByTheSignedLargestValue() {
        float[] x = new float[256];
        x[5] = -2f;
        x[9] = 2f; // same magnitude later: the first one sets the sign, so this one maps to +127
        x[10] = 1f;
        Activations a = new Activations();
        a.prepare(Activations.Kind.Q8_K, x, 256, 1);
        assertEquals(-127, a.q[5]);
        assertEquals(127, a.q[9]);
        assertEquals(64, a.q[10]); // 63.5 rounds to even
        assertEquals(-2f / -127f * -1f, -a.d[0], 1e-9);
        assertEquals(-127 + 127 + 64, a.bsums[0]);
    }

    @Test
    void threadedMatvecCoversEveryRowForOddRowCounts() {
        for (int rows : new int[] {1, 15, 17, 33, 1023}) {
            Tensor w = RandomWeights.tensor(GgmlType.Q8_0, rows, 64, rows);
            float[] x = RandomWeights.vector(64, 1);
            float[] single = new float[rows];
            float[] multi = new float[rows];
            try (Kernels one = Kernels.create(1, Kernels.Implementation.PORTABLE);
                 Kernels three = Kernels.create(3, Kernels.Implementation.PORTABLE)) {
                one.matvec(w, x, single);
                three.matvec(w, x, multi);
            }
            for (int r = 0; r < rows; r++) assertEquals(single[r], multi[r], "rows " + rows + " row " + r);
        }
    }

    @Test
    void rejectsShortInput() {
        Tensor w = RandomWeights.tensor(GgmlType.Q8_0, 4, 64, 1);
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> PORTABLE.matvec(w, new float[32], new float[4]));
        assertTrue(e.getMessage().contains("random.Q8_0"), e.getMessage());
    }
}
