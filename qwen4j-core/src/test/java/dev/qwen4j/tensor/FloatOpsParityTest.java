package dev.qwen4j.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Vector API float kernels agree with the portable ones on seeded random data, at offsets and lengths that
 * exercise the unrolled body, the single-vector loop and the scalar tail; both follow the delta rule's definition.
 */
class FloatOpsParityTest {
    static final FloatOps PORTABLE = FloatOps.create(Kernels.Implementation.PORTABLE);
    static final FloatOps VECTOR = FloatOps.create(Kernels.Implementation.VECTOR);
    static final int[] LENGTHS = {0, 1, 7, 8, 15, 16, 17, 63, 64, 65, 100, 128, 256, 1000};

    /** Float rounding of a dot product: 1e-6 of Σ|a_i·b_i| (the partial sums' size, not the result's). */
    private static float tol(float[] a, int aOff, float[] b, int bOff, int n) {
        double m = 0;
        for (int i = 0; i < n; i++) m += Math.abs((double) a[aOff + i] * b[bOff + i]);
        return (float) (1e-6 * m);
    }

    private static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    private static float absDot(float[] a, int aOff, float[] b, int bOff, int n) {
        float s = 0;
        for (int i = 0; i < n; i++) s += Math.abs(a[aOff + i] * b[bOff + i]);
        return s;
    }

    @Test
    void reductionsMatch() {
        for (int n : LENGTHS) {
            float[] a = random(n + 3, n), b = random(n + 5, n + 1);
            float tol = 1e-6f * absDot(a, 3, b, 5, n) + 1e-7f;
            assertEquals(PORTABLE.dot(a, 3, b, 5, n), VECTOR.dot(a, 3, b, 5, n), tol, "dot n " + n);
            assertEquals(PORTABLE.sumOfSquares(a, 2, n), VECTOR.sumOfSquares(a, 2, n), 1e-6f * absDot(a, 2, a, 2, n) + 1e-7f, "ss n " + n);
        }
    }

    @Test
    void elementwiseOpsMatch() {
        for (int n : LENGTHS) {
            float[] x = random(n + 2, 10 + n), w = random(n, 20 + n);
            float[] y1 = random(n + 4, 30 + n), y2 = y1.clone();
            PORTABLE.axpy(0.37f, x, 2, y1, 4, n);
            VECTOR.axpy(0.37f, x, 2, y2, 4, n);
            assertArrayEquals(y1, y2, 1e-6f, "axpy n " + n);
            PORTABLE.add(y1, 3, x, 1, n);
            VECTOR.add(y2, 3, x, 1, n);
            assertArrayEquals(y1, y2, 1e-6f, "add n " + n);
            PORTABLE.scale(y1, 1, n, -1.5f);
            VECTOR.scale(y2, 1, n, -1.5f);
            assertArrayEquals(y1, y2, 1e-6f, "scale n " + n);
            float[] o1 = new float[n + 1], o2 = new float[n + 1];
            PORTABLE.scaleMul(x, 2, 0.8f, w, o1, 1, n);
            VECTOR.scaleMul(x, 2, 0.8f, w, o2, 1, n);
            assertArrayEquals(o1, o2, 1e-6f, "scaleMul n " + n);
        }
    }

    @Test
    void gatesMatchAndSaturate() {
        for (int n : LENGTHS) {
            float[] g1 = random(n + 1, 40 + n), up = random(n + 2, 50 + n);
            for (int i = 0; i < n; i += 7) g1[1 + i] *= 60;          // large |gate|: exp under/overflow must stay finite
            float[] g2 = g1.clone();
            PORTABLE.siluMul(g1, 1, up, 2, n);
            VECTOR.siluMul(g2, 1, up, 2, n);
            for (int i = 0; i <= n; i++) {
                assertTrue(Float.isFinite(g2[i]), "silu n " + n + " i " + i);
                assertEquals(g1[i], g2[i], 2e-6f * Math.abs(g1[i]) + 1e-7f, "silu n " + n + " i " + i);
            }
            float[] x1 = random(n + 3, 60 + n), x2 = x1.clone(), gate = random(n, 70 + n);
            for (int i = 0; i < n; i += 5) gate[i] *= 60;
            PORTABLE.sigmoidMul(x1, 3, gate, 0, n);
            VECTOR.sigmoidMul(x2, 3, gate, 0, n);
            for (int i = 0; i < n + 3; i++) assertEquals(x1[i], x2[i], 2e-6f * Math.abs(x1[i]) + 1e-7f, "sigmoid n " + n + " i " + i);
        }
    }

    @Test
    void softmaxMatchesAndSumsToOne() {
        for (int n : LENGTHS) {
            if (n == 0) continue;
            float[] a = random(n + 2, 80 + n);
            for (int i = 0; i < n; i += 3) a[2 + i] *= 20;
            float[] b = a.clone();
            PORTABLE.softmax(a, 2, n);
            VECTOR.softmax(b, 2, n);
            float sum = 0;
            for (int i = 0; i < n; i++) {
                assertEquals(a[2 + i], b[2 + i], 2e-6f * a[2 + i] + 1e-9f, "softmax n " + n + " i " + i);
                sum += b[2 + i];
            }
            assertEquals(1f, sum, 1e-5f, "softmax n " + n);
        }
    }

    @Test
    void convolutionMatchesADirectSumOverTheLastInputs() {
        for (FloatOps ops : new FloatOps[] {PORTABLE, VECTOR}) {
            for (boolean split : new boolean[] {false, true}) {
                for (int channels : new int[] {1, 5, 16, 37, 96}) {
                    for (int kernel : new int[] {1, 2, 4}) {
                        checkConvolution(ops, split, channels, kernel);
                    }
                }
            }
        }
    }

    /** {@code split}: in two channel ranges, the second first, cut off the SIMD width. */
    private static void checkConvolution(FloatOps ops, boolean split, int channels, int kernel) {
        float[] taps = random(kernel * channels, channels * 10L + kernel);
        float[] inputs = random(6 * channels, channels + 100L * kernel);
        float[] state = new float[(kernel - 1) * channels];
        for (int t = 0; t < 6; t++) {
            float[] x = new float[channels + 1];
            System.arraycopy(inputs, t * channels, x, 1, channels);
            if (split) {
                int cut = channels / 2 + 1;
                ops.convolveSilu(x, 1, state, taps, channels, kernel, cut, channels);
                ops.convolveSilu(x, 1, state, taps, channels, kernel, 0, cut);
            } else {
                ops.convolveSilu(x, 1, state, taps, channels, kernel);
            }
            for (int ch = 0; ch < channels; ch++) {
                double sum = 0;
                for (int i = 0; i < kernel; i++) {
                    int tau = t - (kernel - 1) + i;      // tap i meets input t − (K−1) + i; zeros before the start
                    if (tau >= 0) sum += taps[i * channels + ch] * inputs[tau * channels + ch];
                }
                double want = sum / (1 + Math.exp(-sum));
                assertEquals(want, x[1 + ch], 1e-5 * (1 + Math.abs(want)),
                        ops.name() + " C " + channels + " K " + kernel + " t " + t + (split ? " split" : ""));
            }
        }
    }

    /** Several tokens at once (state kept in registers for kernel 4) give exactly what one call per token gives. */
    @Test
    void convolutionOverTokensEqualsOneCallPerToken() {
        for (FloatOps ops : new FloatOps[] {PORTABLE, VECTOR}) {
            for (int channels : new int[] {5, 16, 40, 96}) {
                for (int kernel : new int[] {2, 4}) {
                    int tokens = 7, stride = channels + 3;
                    float[] taps = random(kernel * channels, channels * 3L + kernel);
                    float[] x1 = random(2 + tokens * stride, channels + 5L * kernel);
                    float[] state1 = random((kernel - 1) * channels, channels + 9L * kernel);
                    float[] x2 = x1.clone(), state2 = state1.clone();
                    int from = channels > 16 ? 1 : 0, to = channels - 1;       // a range cut off the SIMD width
                    for (int t = 0; t < tokens; t++) ops.convolveSilu(x1, 2 + t * stride, state1, taps, channels, kernel, from, to);
                    ops.convolveSiluTokens(x2, 2, stride, tokens, state2, taps, channels, kernel, from, to);
                    assertArrayEquals(x1, x2, ops.name() + " C " + channels + " K " + kernel);
                    assertArrayEquals(state1, state2, ops.name() + " state, C " + channels + " K " + kernel);
                }
            }
        }
    }

    /** The rule as written (decay, read Sᵀk, write k·δᵀ, read Sᵀq) on doubles: the oracle for both versions. */
    private static float[] deltaRuleOracle(float[] s0, int dk, int dv, float[] q, float[] k, float[] v, float beta, float decay, float[] o) {
        double[] s = new double[dk * dv];
        for (int i = 0; i < s.length; i++) s[i] = s0[i] * (double) decay;
        double[] delta = new double[dv];
        for (int c = 0; c < dv; c++) {
            double m = 0;
            for (int i = 0; i < dk; i++) m += s[i * dv + c] * k[i];
            delta[c] = beta * (v[c] - m);
        }
        for (int i = 0; i < dk; i++) for (int c = 0; c < dv; c++) s[i * dv + c] += k[i] * delta[c];
        for (int c = 0; c < dv; c++) {
            double acc = 0;
            for (int i = 0; i < dk; i++) acc += s[i * dv + c] * q[i];
            o[c] = (float) acc;
        }
        float[] out = new float[s.length];
        for (int i = 0; i < s.length; i++) out[i] = (float) s[i];
        return out;
    }

    @Test
    void deltaRuleFollowsTheDefinition() {
        int[][] shapes = {{128, 128}, {4, 4}, {16, 24}, {32, 80}, {64, 129}};
        for (FloatOps ops : new FloatOps[] {PORTABLE, VECTOR}) {
            for (int[] shape : shapes) {
                int dk = shape[0], dv = shape[1];
                float[] state = random(3 + dk * dv, dk * 1000L + dv);
                float[] qkv = random(5 + 2 * dk + dv, dk + 7L * dv);
                float[] before = java.util.Arrays.copyOfRange(state, 3, 3 + dk * dv);
                float[] q = java.util.Arrays.copyOfRange(qkv, 5, 5 + dk);
                float[] k = java.util.Arrays.copyOfRange(qkv, 5 + dk, 5 + 2 * dk);
                float[] v = java.util.Arrays.copyOfRange(qkv, 5 + 2 * dk, 5 + 2 * dk + dv);
                float[] wantO = new float[dv];
                float[] wantS = deltaRuleOracle(before, dk, dv, q, k, v, 0.6f, 0.9f, wantO);
                float[] o = new float[dv + 2];
                ops.deltaRule(state, 3, dk, dv, qkv, 5, qkv, 5 + dk, qkv, 5 + 2 * dk, 0.6f, 0.9f, o, 2);
                float tol = 2e-5f * (float) Math.sqrt(dk);
                for (int c = 0; c < dv; c++) assertEquals(wantO[c], o[2 + c], tol * (1 + Math.abs(wantO[c])), ops.name() + " o " + c);
                for (int i = 0; i < dk * dv; i++) assertEquals(wantS[i], state[3 + i], tol * (1 + Math.abs(wantS[i])), ops.name() + " S " + i);
            }
        }
    }

    /** Two tokens at once: the oracle applied twice, token 2's q/k/v in the same array (several layouts, both widths' paths). */
    @Test
    void deltaRuleOfTwoTokensFollowsTheDefinitionTwice() {
        int[][] shapes = {{128, 128}, {4, 4}, {16, 24}, {32, 64}, {64, 129}};
        for (FloatOps ops : new FloatOps[] {PORTABLE, VECTOR}) {
            for (int[] shape : shapes) {
                int dk = shape[0], dv = shape[1];
                int row = 2 * dk + dv + 3;                                  // token 2's q, k, v one row later
                float[] state = random(3 + dk * dv, dk * 1000L + dv + 1);
                float[] x = random(5 + 2 * row, dk + 7L * dv + 1);
                float[] before = java.util.Arrays.copyOfRange(state, 3, 3 + dk * dv);
                float[] o1 = new float[dv], o2 = new float[dv];
                float[] mid = deltaRuleOracle(before, dk, dv, java.util.Arrays.copyOfRange(x, 5, 5 + dk),
                        java.util.Arrays.copyOfRange(x, 5 + dk, 5 + 2 * dk), java.util.Arrays.copyOfRange(x, 5 + 2 * dk, 5 + 2 * dk + dv), 0.6f, 0.9f, o1);
                int r2 = 5 + row;
                float[] wantS = deltaRuleOracle(mid, dk, dv, java.util.Arrays.copyOfRange(x, r2, r2 + dk),
                        java.util.Arrays.copyOfRange(x, r2 + dk, r2 + 2 * dk), java.util.Arrays.copyOfRange(x, r2 + 2 * dk, r2 + 2 * dk + dv), 0.3f, 0.7f, o2);
                float[] out = new float[2 * dv + 1];
                ops.deltaRule2(state, 3, dk, dv, x, 5, 5 + dk, 5 + 2 * dk, 0.6f, 0.9f, r2, r2 + dk, r2 + 2 * dk, 0.3f, 0.7f, out, 1, 1 + dv);
                float tol = 4e-5f * (float) Math.sqrt(dk);
                for (int c = 0; c < dv; c++) {
                    assertEquals(o1[c], out[1 + c], tol * (1 + Math.abs(o1[c])), ops.name() + " " + dk + "x" + dv + " o1 " + c);
                    assertEquals(o2[c], out[1 + dv + c], tol * (1 + Math.abs(o2[c])), ops.name() + " " + dk + "x" + dv + " o2 " + c);
                }
                for (int i = 0; i < dk * dv; i++) {
                    assertEquals(wantS[i], state[3 + i], tol * (1 + Math.abs(wantS[i])), ops.name() + " " + dk + "x" + dv + " S " + i);
                }
            }
        }
    }

    /** Q8_0 quantization: the same bytes, floats, sums and maxima (ties at .5, zero blocks, the 127 edge included). */
    @Test
    void quantizeQ8IsBitIdentical() {
        int blocks = 40;
        float[] x = new float[32 * blocks];
        java.util.Random r = new java.util.Random(5);
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(7) - 3));
        for (int i = 0; i < 32; i++) x[32 + i] = 0f;                                  // an all-zero block
        for (int i = 0; i < 32; i++) x[64 + i] = (i - 16) * 127f / 32f;               // exact halves after scaling
        for (int i = 0; i < 32; i++) x[96 + i] = (float) Math.sin(i);                  // |x| ≤ 1 ...
        x[96] = -3f;                                                                    // ... and a negative extreme
        byte[] q1 = new byte[x.length], q2 = new byte[x.length];
        float[] f1 = new float[x.length], f2 = new float[x.length], a1 = new float[blocks], a2 = new float[blocks];
        int[] s1 = new int[blocks], s2 = new int[blocks];
        PORTABLE.quantizeQ8(x, 0, blocks, q1, f1, s1, a1);
        VECTOR.quantizeQ8(x, 0, blocks, q2, f2, s2, a2);
        org.junit.jupiter.api.Assertions.assertArrayEquals(q1, q2);
        org.junit.jupiter.api.Assertions.assertArrayEquals(s1, s2);
        org.junit.jupiter.api.Assertions.assertArrayEquals(a1, a2);
        for (int i = 0; i < x.length; i++) assertEquals(f1[i], f2[i], 0f, "quant " + i);
        assertEquals(0, s1[1]);
        assertEquals(-127, q1[96]);
    }

    @Test
    void quantizeQ8KIsBitIdentical() {
        int blocks = 12;
        float[] x = new float[256 * blocks];
        java.util.Random r = new java.util.Random(6);
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(7) - 3));
        java.util.Arrays.fill(x, 256, 512, 0f);                                       // an all-zero block
        for (int i = 0; i < 256; i++) x[512 + i] = (i % 64 - 32) * 0.5f;               // ties, and the extreme -16 ...
        x[512 + 200] = 16f;                                                             // ... then +16: the first wins
        for (int i = 0; i < 256; i++) x[768 + i] = (i - 128) * 127f / 128f / 64f;      // exact halves after scaling
        x[1024 + 17] = 1e30f;                                                           // one huge value
        byte[] q1 = new byte[x.length], q2 = new byte[x.length];
        float[] f1 = new float[x.length], f2 = new float[x.length], d1 = new float[blocks], d2 = new float[blocks];
        int[] s1 = new int[16 * blocks], s2 = new int[16 * blocks];
        java.util.Arrays.fill(q2, (byte) 9);                                            // stale values must be overwritten
        java.util.Arrays.fill(s2, 9);
        PORTABLE.quantizeQ8K(x, 0, blocks, q1, f1, s1, d1);
        VECTOR.quantizeQ8K(x, 0, 5, q2, f2, s2, d2);                                    // in two ranges
        VECTOR.quantizeQ8K(x, 5, blocks, q2, f2, s2, d2);
        org.junit.jupiter.api.Assertions.assertArrayEquals(q1, q2);
        org.junit.jupiter.api.Assertions.assertArrayEquals(s1, s2);
        org.junit.jupiter.api.Assertions.assertArrayEquals(d1, d2);
        for (int i = 0; i < x.length; i++) assertEquals(f1[i], f2[i], 0f, "quant " + i);
        assertEquals(0f, d1[1]);
        assertEquals(0, s1[16]);
        assertEquals(-127, q1[512]);                    // the first extreme (-16) sets the scale: iscale = -127/-16
        assertEquals(127, q1[512 + 200]);
    }

    /**
     * The attention's batched dots and weighted sums do what the per-row dot and axpy do: the weighted sums
     * exactly (lane-wise FMAs in the same order), the dots up to the order of the final lane reduction, which the
     * Vector API leaves open (interpreted and compiled code add the lanes differently): float rounding.
     */
    @Test
    void attentionRowsAreBitIdenticalToPerRowCalls() {
        for (FloatOps ops : new FloatOps[] {PORTABLE, VECTOR}) {
            for (int n : new int[] {1, 15, 16, 64, 128, 130}) {
                for (int count : new int[] {1, 2, 3, 7}) {
                    int stride = n + 5;
                    float[] q = random(n + 2, n * 7L + count);
                    float[] rows = random(3 + count * stride, n * 11L + count);
                    float[] want = new float[count];
                    for (int i = 0; i < count; i++) want[i] = ops.dot(q, 2, rows, 3 + i * stride, n) * 0.125f;
                    float[] got = new float[count + 1];
                    ops.dotRows(q, 2, rows, 3, stride, count, n, 0.125f, got, 1);
                    for (int i = 0; i < count; i++) assertEquals(want[i], got[i + 1], tol(q, 2, rows, 3 + i * stride, n), ops.name() + " dot n " + n + " row " + i);

                    float[] w = random(count + 1, n * 13L + count);
                    float[] expected = random(n + 4, 99);
                    float[] actual = expected.clone();
                    for (int i = 0; i < count; i++) ops.axpy(w[1 + i], rows, 3 + i * stride, expected, 4, n);
                    ops.weightedSum(w, 1, rows, 3, stride, count, n, actual, 4);
                    for (int j = 0; j < n + 4; j++) assertEquals(expected[j], actual[j], 0f, ops.name() + " sum n " + n + " column " + j);

                    // Two queries / two weight vectors over the same rows.
                    float[] gotA = new float[count], gotB = new float[count];
                    ops.dotRows2(q, 2, 1, rows, 3, stride, count, n, 0.125f, gotA, gotB);
                    for (int i = 0; i < count; i++) {
                        assertEquals(want[i], gotA[i], tol(q, 2, rows, 3 + i * stride, n), ops.name() + " dot2 a n " + n + " row " + i);
                        float wantB = ops.dot(q, 1, rows, 3 + i * stride, n) * 0.125f;
                        assertEquals(wantB, gotB[i], tol(q, 1, rows, 3 + i * stride, n), ops.name() + " dot2 b n " + n + " row " + i);
                    }
                    float[] w2 = random(count, n * 17L + count);
                    float[] pair = random(2 * n + 3, 98);
                    float[] pairWant = pair.clone();
                    for (int i = 0; i < count; i++) {
                        ops.axpy(w[1 + i], rows, 3 + i * stride, pairWant, 0, n);
                        ops.axpy(w2[i], rows, 3 + i * stride, pairWant, n + 3, n);
                    }
                    ops.weightedSum2(java.util.Arrays.copyOfRange(w, 1, 1 + count), w2, rows, 3, stride, count, n, pair, 0, n + 3);
                    for (int j = 0; j < pair.length; j++) assertEquals(pairWant[j], pair[j], 0f, ops.name() + " sum2 n " + n + " column " + j);

                    // Four queries / four weight vectors.
                    float[] q4 = random(4 * n + 9, n * 19L + count);
                    int[] qOff = {0, n + 2, 2 * n + 5, 3 * n + 9};
                    float[][] got4 = new float[4][count];
                    ops.dotRows4(q4, qOff, rows, 3, stride, count, n, 0.25f, got4);
                    float[][] w4 = new float[4][];
                    int[] outOff = {1, n + 2, 2 * n + 4, 3 * n + 7};
                    float[] sum4 = random(4 * n + 8, 97);
                    float[] sum4Want = sum4.clone();
                    for (int j = 0; j < 4; j++) {
                        for (int i = 0; i < count; i++) {
                            float want4 = ops.dot(q4, qOff[j], rows, 3 + i * stride, n) * 0.25f;
                            assertEquals(want4, got4[j][i], tol(q4, qOff[j], rows, 3 + i * stride, n), ops.name() + " dot4 n " + n + " query " + j + " row " + i);
                        }
                        w4[j] = random(count, n * 23L + j);
                        for (int i = 0; i < count; i++) ops.axpy(w4[j][i], rows, 3 + i * stride, sum4Want, outOff[j], n);
                    }
                    ops.weightedSum4(w4, rows, 3, stride, count, n, sum4, outOff);
                    for (int j = 0; j < sum4.length; j++) assertEquals(sum4Want[j], sum4[j], 0f, ops.name() + " sum4 n " + n + " column " + j);
                }
            }
        }
    }
    /**
     * The tile kernels of prompt attention against per-query attention written with the one-row calls: scores
     * against {@code dot}, each column's softmax against {@code softmax} of that column (a masked −∞ entry becomes
     * exactly 0), the value sums against {@code axpy} from zero. Row counts cover the six-row passes and their tail.
     */
    @Test
    void attentionTilesMatchPerQueryAttention() {
        for (FloatOps ops : new FloatOps[] {PORTABLE, VECTOR}) {
            int lanes = ops.tileLanes();
            for (int n : new int[] {16, 64, 128, 130}) {
                for (int count : new int[] {1, 5, 6, 7, 13, 40}) {
                    int stride = n + 5;
                    float[] queries = random(lanes * n, n * 29L + count);
                    float[] qt = new float[lanes * n];
                    for (int l = 0; l < lanes; l++) for (int d = 0; d < n; d++) qt[d * lanes + l] = queries[l * n + d];
                    float[] keys = random(3 + count * stride, n * 31L + count);
                    float[] s = new float[count * lanes];
                    ops.scoresTile(qt, lanes, keys, 3, stride, count, n, 0.125f, s);
                    for (int l = 0; l < lanes; l++) {
                        for (int i = 0; i < count; i++) {
                            float want = ops.dot(queries, l * n, keys, 3 + i * stride, n) * 0.125f;
                            assertEquals(want, s[i * lanes + l], tol(queries, l * n, keys, 3 + i * stride, n), ops.name() + " score n " + n + " lane " + l + " row " + i);
                        }
                    }

                    // Lane l sees rows 0..count-1-(l % 3): the rest are masked as the causal tail of a tile is.
                    for (int l = 0; l < lanes; l++) for (int i = count - l % 3; i < count; i++) if (i > 0) s[i * lanes + l] = Float.NEGATIVE_INFINITY;
                    float[][] column = new float[lanes][];
                    for (int l = 0; l < lanes; l++) {
                        int seen = Math.max(1, count - l % 3);
                        column[l] = new float[seen];
                        for (int i = 0; i < seen; i++) column[l][i] = s[i * lanes + l];
                        ops.softmax(column[l], 0, seen);
                    }
                    ops.softmaxTile(s, lanes, count);
                    for (int l = 0; l < lanes; l++) {
                        for (int i = 0; i < count; i++) {
                            float want = i < column[l].length ? column[l][i] : 0f;
                            assertEquals(want, s[i * lanes + l], 2e-6f * want + 1e-9f, ops.name() + " softmax n " + n + " lane " + l + " row " + i);
                        }
                    }

                    float[] values = random(3 + count * stride, n * 37L + count);
                    for (int used : new int[] {lanes, lanes - 3, 1}) {
                        int[] outOff = new int[lanes];
                        for (int l = 0; l < lanes; l++) outOff[l] = 2 + (lanes - 1 - l) * (n + 1);
                        float[] got = random(lanes * (n + 1) + 4, 96);
                        float[] want = got.clone();
                        for (int l = 0; l < used; l++) {
                            java.util.Arrays.fill(want, outOff[l], outOff[l] + n, 0f);
                            for (int i = 0; i < count; i++) ops.axpy(s[i * lanes + l], values, 3 + i * stride, want, outOff[l], n);
                        }
                        ops.weightedTile(s, lanes, used, values, 3, stride, count, n, got, outOff);
                        for (int j = 0; j < got.length; j++) assertEquals(want[j], got[j], 1e-6f, ops.name() + " values n " + n + " used " + used + " at " + j);
                    }
                }
            }
        }
    }
}

