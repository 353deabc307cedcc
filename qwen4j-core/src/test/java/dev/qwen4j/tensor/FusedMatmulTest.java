package dev.qwen4j.tensor;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Several tensors multiplied in one pass give what one call per tensor gives, up to float noise. */
class FusedMatmulTest {
    static final Kernels KERNELS = Kernels.create(3);

    @AfterAll
    static void close() {
        KERNELS.close();
    }

    private static void check(GgmlType[] types, int[] rows, int n, int batch) {
        Tensor[] ws = new Tensor[types.length];
        float[][] fused = new float[types.length][];
        float[][] single = new float[types.length][];
        for (int i = 0; i < ws.length; i++) {
            ws[i] = RandomWeights.tensor(types[i], rows[i], n, 77L * i + rows[i]);
            fused[i] = new float[rows[i] * batch];
            single[i] = new float[rows[i] * batch];
        }
        float[] x = RandomWeights.vector(n * batch, batch);
        KERNELS.matmul(ws, x, batch, fused);
        for (int i = 0; i < ws.length; i++) {
            KERNELS.matmul(ws[i], x, batch, single[i]);
            // same arithmetic; only the last bit may move (the JIT's vector reductions sum lanes in their own order)
            for (int j = 0; j < single[i].length; j++) {
                assertEquals(single[i][j], fused[i][j], 1e-6f * (1 + Math.abs(single[i][j])), types[i] + " tensor " + i + " batch " + batch);
            }
        }
    }

    @Test
    void sameTypeTensorsOfUnevenRowCounts() {
        for (int batch : new int[] {1, 3, 9}) {
            check(new GgmlType[] {GgmlType.Q8_0, GgmlType.Q8_0, GgmlType.Q8_0, GgmlType.Q8_0}, new int[] {203, 16, 5, 16}, 256, batch);
        }
    }

    @Test
    void typesWithDifferentActivationFormatsFallBackToOneCallEach() {
        check(new GgmlType[] {GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.F32}, new int[] {40, 17, 9}, 512, 2);
    }

    @Test
    void outputTooSmallIsRefused() {
        Tensor w = RandomWeights.tensor(GgmlType.Q8_0, 8, 64, 1);
        assertThrows(IllegalArgumentException.class,
                () -> KERNELS.matmul(new Tensor[] {w, w}, new float[64], 1, new float[][] {new float[8], new float[7]}));
    }
}
