package dev.qwen4j.tensor;

import java.util.SplittableRandom;

/**
 * Runs every float kernel of {@link FloatOps#preferred()} on fixed random inputs and prints one checksum of all
 * result bits: run in an interpreter-only JVM and in one that compiles everything with C2 first, the checksums
 * must agree ({@link TierIndependenceTest}).
 */
public final class TierProbe {
    private TierProbe() {
    }

    /** Prints the checksum of the last of {@code args[0]} runs (default 1): many runs let C2 compile the kernels. */
    public static void main(String[] args) {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        String last = null;
        for (int i = 0; i < runs; i++) last = checksum();
        System.out.println(last);
    }

    static String checksum() {
        FloatOps ops = FloatOps.preferred();
        SplittableRandom r = new SplittableRandom(42);
        long sum = 0;
        int n = 200;                                        // not a multiple of any vector width: tails too
        for (int rep = 0; rep < 3; rep++) {
            float[] a = random(r, 4 * n), b = random(r, 4 * n);
            sum = mix(sum, ops.dot(a, 1, b, 3, n));
            sum = mix(sum, ops.sumOfSquares(a, 2, n));
            float[] scores = new float[4];
            ops.dotRows(a, 0, b, 0, n, 3, n, 0.5f, scores, 0);
            sum = mix(sum, scores);
            float[] sm = a.clone();
            ops.softmax(sm, 5, n);
            sum = mix(sum, sm);
            float[] g = a.clone();
            ops.siluMul(g, 0, b, 0, n);
            sum = mix(sum, g);
            float[] s = a.clone();
            ops.sigmoidMul(s, 0, b, 0, n);
            sum = mix(sum, s);
            float[] out = new float[n];
            ops.scaleMul(a, 0, 0.7f, b, out, 0, n);
            sum = mix(sum, out);
            float[] ws = new float[n];
            ops.weightedSum(new float[] {0.2f, 0.3f, 0.5f}, 0, b, 0, n, 3, n, ws, 0);
            sum = mix(sum, ws);
            int dk = 64, dv = 64;
            float[] state = random(r, dk * dv), x = random(r, 3 * dk), o = new float[dv];
            ops.deltaRule(state, 0, dk, dv, x, 0, x, dk, x, 2 * dk, 0.6f, 0.9f, o, 0);
            sum = mix(mix(sum, state), o);
            int channels = 96, kernel = 4;
            float[] conv = random(r, channels), cs = random(r, channels * (kernel - 1)), taps = random(r, channels * kernel);
            ops.convolveSilu(conv, 0, cs, taps, channels, kernel);
            sum = mix(mix(sum, conv), cs);
        }
        return Long.toHexString(sum);
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) ((r.nextDouble() - 0.5) * 4);
        return x;
    }

    private static long mix(long h, float... values) {
        for (float v : values) h = h * 0x9E3779B97F4A7C15L + Float.floatToRawIntBits(v);
        return h;
    }
}
