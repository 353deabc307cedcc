package dev.qwen4j.tensor.vector;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lane sum and the exponential the float kernels use instead of {@code reduceLanes(ADD)} and
 * {@code lanewise(EXP)}, whose last bits differ between interpreted and compiled code: a fixed order, and e^x
 * within 1.1 ulp of Math.exp with exact 0 and ∞ at the ends.
 */
class TierIndependentMathTest {

    @Test
    void laneSumIsTheFixedPairwiseTree() {
        Random r = new Random(4);
        int n = VectorMatmul.L;
        float[] x = new float[n];
        for (int rep = 0; rep < 1000; rep++) {
            for (int i = 0; i < n; i++) x[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(9) - 4));
            // Halves added lane by lane: lane i meets lane i ^ h for h = L/2, ..., 1.
            float[] v = x.clone();
            for (int h = n / 2; h >= 1; h /= 2) {
                float[] w = new float[n];
                for (int i = 0; i < n; i++) w[i] = v[i] + v[i ^ h];
                v = w;
            }
            assertEquals(v[0], VectorFloatOps.sumLanes(FloatVector.fromArray(VectorMatmul.FS, x, 0)), 0f, "repetition " + rep);
        }
    }

    @Test
    void expIsWithinOneUlpOfMathExp() {
        Random r = new Random(5);
        int n = VectorMatmul.L;
        float[] x = new float[n], y = new float[n];
        double worst = 0;
        for (int rep = 0; rep < 20000; rep++) {
            for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 174 - 87);
            VectorFloatOps.exp(FloatVector.fromArray(VectorMatmul.FS, x, 0)).intoArray(y, 0);
            for (int i = 0; i < n; i++) {
                float want = (float) Math.exp(x[i]);
                if (want < Float.MIN_NORMAL) continue;
                worst = Math.max(worst, Math.abs(y[i] - Math.exp(x[i])) / Math.ulp(want));
            }
        }
        assertTrue(worst <= 1.1, "max error " + worst + " ulp");
        float[] ends = new float[n];
        java.util.Arrays.fill(ends, 0f);
        ends[0] = -100f;
        ends[1] = 100f;
        ends[2] = Float.NEGATIVE_INFINITY;
        ends[3] = Float.POSITIVE_INFINITY;
        ends[4] = 0f;
        ends[5] = 1f;
        VectorFloatOps.exp(FloatVector.fromArray(VectorMatmul.FS, ends, 0)).intoArray(y, 0);
        assertEquals(0f, y[0], 0f);
        assertEquals(Float.POSITIVE_INFINITY, y[1], 0f);
        assertEquals(0f, y[2], 0f);
        assertEquals(Float.POSITIVE_INFINITY, y[3], 0f);
        assertEquals(1f, y[4], 0f);
        assertEquals((float) Math.E, y[5], Math.ulp((float) Math.E));
    }
}
