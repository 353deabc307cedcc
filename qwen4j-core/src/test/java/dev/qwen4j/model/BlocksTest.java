package dev.qwen4j.model;

import dev.qwen4j.tensor.FloatOps;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The shared blocks against the VERIFIED test vectors of QWEN_SPEC.md (§2.3, §4.6.3). */
class BlocksTest {
    private static final float TOL = 2e-6f;

    @Test
    void ropeMatchesSpecVector() {
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8};
        rotate(x, 8, 3);
        assertArrayEquals(new float[]{-1.695593f, 0.137552f, 2.788682f, 3.975982f, -4.808842f, 6.323059f, 7.086837f, 8.011964f}, x, TOL);
    }

    @Test
    void partialRopeLeavesTheTailUnchanged() {
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8};
        rotate(x, 4, 3);
        assertArrayEquals(new float[]{-1.413353f, 1.879118f, -2.828857f, 4.058191f, 5, 6, 7, 8}, x, TOL);
    }

    private static void rotate(float[] x, int ropeDims, int position) {
        Rope rope = new Rope(ropeDims, 10000);
        float[] cos = new float[ropeDims / 2], sin = new float[ropeDims / 2];
        rope.angles(position, 1, cos, sin);
        rope.rotate(x, 0, cos, sin, 0);
    }

    @Test
    void causalConvMatchesSpecVector() {
        float[] taps = {0.1f, 0.2f, 0.3f, 0.4f};
        float[] state = new float[3];
        float[] expected = {0.239475f, 0.825286f, 1.761594f, 2.857722f, 3.928055f};
        for (int i = 0; i < 5; i++) {
            float[] mix = {i + 1};
            FloatOps.preferred().convolveSilu(mix, 0, state, taps, 1, 4);
            assertEquals(expected[i], mix[0], TOL, "step " + i);
        }
        assertArrayEquals(new float[]{3, 4, 5}, state);
    }

    @Test
    void gatedNormMatchesSpecVector() {
        float[] x = {1, -2, 3, 0.5f};
        float[] z = {0, 1, -1, 2};
        RmsNorm.gated(x, 0, new float[]{1, 0.5f, 2, 1}, 1e-6f, z, 0, 4);
        assertArrayEquals(new float[]{0, -0.387324f, -0.854932f, 0.466658f}, z, TOL);
    }

    @Test
    void deltaRuleMatchesSpecVectors() {
        float[] state = new float[16];
        float decayRate = (float) -Math.exp(0.5);   // ssm_a = −exp(A_log)
        float[] o = step(state, new float[]{1, 2, 3, 4}, new float[]{0.5f, -1, 0.25f, 2}, new float[]{1, 0, -1, 2}, 0.3f, -0.2f, decayRate);
        assertArrayEquals(new float[]{0.129262f, 0, -0.129262f, 0.258524f}, o, TOL);
        assertArrayEquals(new float[]{0.097655f, 0, -0.097655f, 0.195309f, -0.195309f, 0, 0.195309f, -0.390619f,
                0.048827f, 0, -0.048827f, 0.097655f, 0.390619f, 0, -0.390619f, 0.781238f}, state, TOL);
        o = step(state, new float[]{-1, 0.5f, 0, 2}, new float[]{1, 1, -1, 0}, new float[]{0.5f, 0.5f, 1.5f, -2}, -1.0f, 1.0f, decayRate);
        assertArrayEquals(new float[]{0.016509f, -0.023026f, -0.108614f, 0.171175f}, o, TOL);
        assertArrayEquals(new float[]{0.253567f, 0.211038f, 0.590587f, -0.759097f, 0.160134f, 0.211038f, 0.68402f, -0.945963f,
                -0.20685f, -0.211038f, -0.637303f, 0.85253f, 0.124577f, 0, -0.124577f, 0.249154f}, state, TOL);
    }

    /** One head, d_k = d_v = 4, dt_bias 1: q, k, v post-conv/SiLU; a, b the raw decay and β projections. */
    private static float[] step(float[] state, float[] q, float[] k, float[] v, float a, float b, float decayRate) {
        float[] qkv = new float[12];
        System.arraycopy(q, 0, qkv, 0, 4);
        System.arraycopy(k, 0, qkv, 4, 4);
        System.arraycopy(v, 0, qkv, 8, 4);
        GatedDeltaNet.l2Normalize(qkv, 0, 4, 0.5f);
        GatedDeltaNet.l2Normalize(qkv, 4, 4, 1f);
        float g = Activation.softplus(a + 1.0f) * decayRate;
        float[] o = new float[4];
        FloatOps.preferred().deltaRule(state, 0, 4, 4, qkv, 0, qkv, 4, qkv, 8, Activation.sigmoid(b), (float) Math.exp(g), o, 0);
        return o;
    }
}
