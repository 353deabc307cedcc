package dev.qwen4j.tensor;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Vector API kernels agree with the portable reference on seeded random data: every type, row counts that
 * are not multiples of the thread count, batch sizes that exercise full and partial token tiles.
 */
class VectorParityTest {
    static final Kernels PORTABLE = Kernels.create(1, Kernels.Implementation.PORTABLE);
    static final Kernels VECTOR = Kernels.create(3, Kernels.Implementation.VECTOR);

    @AfterAll
    static void close() {
        PORTABLE.close();
        VECTOR.close();
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL", "Q2_K", "Q3_K", "Q4_K",
            "Q5_K", "Q6_K", "IQ4_XS"})
    void vectorMatchesPortable(GgmlType type) {
        int n = type.blockSize == 256 ? 768 : 352;
        int rows = 67;
        Tensor w = RandomWeights.tensor(type, rows, n, 1000 + type.id);
        for (int batch : new int[] {1, 2, 3, 5, 8, 17, 64}) {
            float[] x = RandomWeights.vector(n * batch, batch * 31L + type.id);
            float[] expected = new float[rows * batch];
            float[] got = new float[rows * batch];
            PORTABLE.matmul(w, x, batch, expected);
            VECTOR.matmul(w, x, batch, got);
            // Both sum the same exact block integers; only the fp32 order of the scaled sums differs.
            double[] mag = KernelsReferenceTest.magnitude(w, x, batch);
            for (int i = 0; i < got.length; i++) {
                assertEquals(expected[i], got[i], 1e-6 * mag[i] + 1e-6,
                        type + " batch " + batch + " row " + i % rows + " vector " + i / rows);
            }
        }
    }

    /**
     * Weights prepared by the kernels (row-interleaved 4-bit copies): groups whole and cut by a thread's range,
     * rows after the last group, one-token and batched products, against the portable kernels on the file layout.
     */
    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q4_K", "Q6_K", "Q8_0", "F16"})
    void preparedWeightsMatchPortable(GgmlType type) {
        try (Kernels vector = Kernels.create(3, Kernels.Implementation.VECTOR)) {
            for (int n : type.blockSize == 256 ? new int[] {256, 1024} : new int[] {352, 1024}) {
                int rows = 101;
                Tensor w = RandomWeights.tensor(type, rows, n, 2000 + type.id + n);
                long bytes = vector.prepare(java.util.List.of(w));
                if (type != GgmlType.F16) assertTrue(bytes > 0, type + " weights are packed");
                // Batches of 16 or more: Q8_0 passes of 6 and 5 tokens (16 = 6+5+5, 18 = 3×6, 21 = 6+3×5, 64 = 9×6+2×5).
                for (int batch : new int[] {1, 2, 3, 4, 5, 16, 17, 18, 21, 64}) {
                    float[] x = RandomWeights.vector(n * batch, batch * 17L + n);
                    float[] expected = new float[rows * batch];
                    float[] got = new float[rows * batch];
                    PORTABLE.matmul(w, x, batch, expected);
                    vector.matmul(w, x, batch, got);
                    double[] mag = KernelsReferenceTest.magnitude(w, x, batch);
                    // Fused with itself, the second copy's rows start at 101: threads' ranges cut its groups.
                    float[][] fused = {new float[rows * batch], new float[rows * batch]};
                    vector.matmul(new Tensor[] {w, w}, x, batch, fused);
                    for (float[] out : new float[][] {got, fused[0], fused[1]}) {
                        for (int i = 0; i < out.length; i++) {
                            assertEquals(expected[i], out[i], 1e-6 * mag[i] + 1e-6,
                                    type + " n " + n + " batch " + batch + " row " + i % rows + " vector " + i / rows);
                        }
                    }
                }
            }
        }
    }

    /**
     * A small batch (a token and its drafts, verified in one pass) gives each token exactly the bits of a one-token
     * product, so that speculative decoding cannot change greedy output through the weight products.
     */
    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q6_K", "Q4_K"})
    void smallBatchesOfPreparedWeightsEqualOneTokenProductsBitForBit(GgmlType type) {
        try (Kernels vector = Kernels.create(3, Kernels.Implementation.VECTOR)) {
            int n = 1024, rows = 101;
            Tensor w = RandomWeights.tensor(type, rows, n, 3000 + type.id);
            vector.prepare(java.util.List.of(w));
            for (int batch : new int[] {2, 3, 4, 5, 6, 7, 9, 15}) {
                float[] x = RandomWeights.vector(n * batch, batch * 29L);
                float[] got = new float[rows * batch];
                vector.matmul(w, x, batch, got);
                for (int b = 0; b < batch; b++) {
                    float[] one = new float[rows];
                    vector.matmul(w, java.util.Arrays.copyOfRange(x, b * n, (b + 1) * n), 1, one);
                    for (int r = 0; r < rows; r++) {
                        assertEquals(Float.floatToIntBits(one[r]), Float.floatToIntBits(got[b * rows + r]),
                                type + " batch " + batch + " vector " + b + " row " + r + ": " + one[r] + " vs " + got[b * rows + r]);
                    }
                }
            }
        }
    }

    /** Checks every type at the other SIMD width: 8 lanes (AVX2 machines) when this JVM uses 16, and vice versa. */
    public static final class OtherWidth {
        public static void main(String[] args) {
            try (Kernels portable = Kernels.create(1, Kernels.Implementation.PORTABLE);
                 Kernels vector = Kernels.create(2, Kernels.Implementation.VECTOR)) {
                for (GgmlType type : GgmlType.values()) {
                    if (!type.isQuantized() && type != GgmlType.F32 && type != GgmlType.F16 && type != GgmlType.BF16) continue;
                    if (type == GgmlType.Q8_1 || type == GgmlType.Q8_K) continue;
                    int n = type.blockSize == 256 ? 512 : 96;
                    int rows = 19 + 40;
                    Tensor w = RandomWeights.tensor(type, rows, n, type.id);
                    vector.prepare(java.util.List.of(w));
                    for (int batch : new int[] {1, 3, 5, 9, 33}) {
                        float[] x = RandomWeights.vector(n * batch, batch);
                        float[] want = new float[rows * batch];
                        float[] got = new float[rows * batch];
                        portable.matmul(w, x, batch, want);
                        vector.matmul(w, x, batch, got);
                        double[] mag = KernelsReferenceTest.magnitude(w, x, batch);
                        for (int i = 0; i < got.length; i++) {
                            if (Math.abs(want[i] - got[i]) > 1e-6 * mag[i] + 1e-6) {
                                System.out.println("MISMATCH " + type + " batch " + batch + " output " + i + ": " + want[i] + " vs " + got[i]);
                                System.exit(1);
                            }
                        }
                    }
                }
                System.out.println("ok " + vector.implementation());
            }
        }
    }

    @Test
    void theOtherSimdWidthMatchesPortableToo() throws Exception {
        String bits = VECTOR.implementation().equals("vector-512") ? "256" : "512";
        if (bits.equals("512") && !VECTOR.implementation().equals("vector-256")) return;
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(javaBin.toString(), "--add-modules", "jdk.incubator.vector", "-Dqwen4j.vector.bits=" + bits,
                "-cp", System.getProperty("java.class.path"), OtherWidth.class.getName()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("ok vector-" + bits), output);
    }

    /** F32 rows of odd length (e.g. a convolution kernel of 4 taps) take the scalar tail. */
    @Test
    void f32RowsShorterThanAVectorAndWithTails() {
        for (int n : new int[] {4, 13, 37}) {
            Tensor w = RandomWeights.tensor(GgmlType.F32, 9, n, n);
            for (int batch : new int[] {1, 3, 17}) {
                float[] x = RandomWeights.vector(n * batch, n + batch);
                float[] expected = new float[9 * batch];
                float[] got = new float[9 * batch];
                PORTABLE.matmul(w, x, batch, expected);
                VECTOR.matmul(w, x, batch, got);
                for (int i = 0; i < got.length; i++) assertEquals(expected[i], got[i], 1e-5f, "n " + n + " output " + i);
            }
        }
    }

    /** F16 conversion in SIMD lanes is exact for every finite half, including subnormals and signed zeros. */
    @Test
    void f16LanesConvertEveryFiniteHalfExactly() {
        int count = 0x7C00; // all finite magnitudes; each also negated
        int n = 2 * count;
        byte[] bytes = new byte[2 * n];
        for (int i = 0; i < count; i++) {
            bytes[4 * i] = (byte) i;
            bytes[4 * i + 1] = (byte) (i >>> 8);
            bytes[4 * i + 2] = (byte) i;
            bytes[4 * i + 3] = (byte) ((i >>> 8) | 0x80);
        }
        var seg = java.lang.foreign.MemorySegment.ofArray(bytes);
        // One-hot activations pick out single weights: out[r] = w[r][c] for x = e_c, with rows of 32 halves.
        int rowLen = 32;
        Tensor w = new Tensor("halfs", GgmlType.F16, new long[] {rowLen, n / rowLen}, seg);
        for (int c = 0; c < rowLen; c++) {
            float[] x = new float[rowLen];
            x[c] = 1f;
            float[] got = new float[n / rowLen];
            VECTOR.matvec(w, x, got);
            for (int r = 0; r < n / rowLen; r++) {
                int e = r * rowLen + c;
                short h = (short) ((bytes[2 * e] & 0xFF) | (bytes[2 * e + 1] << 8));
                float want = Float.float16ToFloat(h) * 1f + 0f;
                assertEquals(Float.floatToIntBits(want + 0f), Float.floatToIntBits(got[r] + 0f), "half 0x" + Integer.toHexString(h & 0xFFFF));
            }
        }
    }
}
