package dev.qwen4j.tensor.quant;

import dev.qwen4j.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuantizeRoundTripTest {

    private static float[] gaussian(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    /** Relative RMS error of quantize→dequantize on N(0,1) data stays within what the bit width allows. */
    @ParameterizedTest
    @CsvSource({"Q8_0, 0.006", "Q4_0, 0.12", "Q4_K, 0.09", "Q6_K, 0.025", "F16, 0.001", "BF16, 0.004"})
    void roundTripErrorIsBounded(GgmlType type, double bound) {
        int n = 1024;
        float[] x = gaussian(n * 4, 7);
        byte[] q = RowCodec.quantize(type, x, n, 4);
        assertEquals(type.rowBytes(n) * 4, q.length);
        float[] y = new float[n * 4];
        for (int r = 0; r < 4; r++) RowCodec.dequantize(type, MemorySegment.ofArray(q), r * type.rowBytes(n), y, r * n, n);
        double err = 0;
        double norm = 0;
        for (int i = 0; i < x.length; i++) {
            err += (x[i] - y[i]) * (double) (x[i] - y[i]);
            norm += x[i] * (double) x[i];
        }
        double rel = Math.sqrt(err / norm);
        assertTrue(rel < bound, type + " relative error " + rel);
        assertTrue(rel > 0 || type == GgmlType.F32, "lossy types lose something");
    }

    @Test
    void q8_0RequantizesItsOwnOutputToTheSameBytes() {
        float[] x = gaussian(256, 11);
        byte[] q = RowCodec.quantize(GgmlType.Q8_0, x, 256, 1);
        float[] y = new float[256];
        Q8_0.dequantize(MemorySegment.ofArray(q), 0, y, 0, 256);
        assertArrayEquals(q, RowCodec.quantize(GgmlType.Q8_0, y, 256, 1));
    }

    @Test
    void q8_0RoundsHalfAwayFromZeroLikeGgmlReference() {
        float[] x = new float[32];
        x[0] = 127f;
        x[1] = 2.5f;
        x[2] = -2.5f;
        byte[] q = RowCodec.quantize(GgmlType.Q8_0, x, 32, 1);
        assertEquals(127, q[2]);
        assertEquals(3, q[3]);
        assertEquals(-3, q[4]);
    }

    @Test
    void allZeroBlocksQuantizeToZero() {
        for (GgmlType t : new GgmlType[] {GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K}) {
            float[] y = new float[256];
            RowCodec.dequantize(t, MemorySegment.ofArray(RowCodec.quantize(t, new float[256], 256, 1)), 0, y, 0, 256);
            for (float v : y) assertTrue(v == 0, t.name()); // ggml writes d = −0 for Q4_0
        }
    }
}
