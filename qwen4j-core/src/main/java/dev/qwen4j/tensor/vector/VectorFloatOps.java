package dev.qwen4j.tensor.vector;

import dev.qwen4j.tensor.FloatOps;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link FloatOps} with the Vector API, {@code L} float lanes (the preferred width, or 8/16 by
 * {@code -Dqwen4j.vector.bits=256|512}). Reductions keep four accumulators so that the FMA latency is hidden;
 * tails run the scalar loop.
 */
public final class VectorFloatOps implements FloatOps {
    private static final VectorSpecies<Float> FS = switch (System.getProperty("qwen4j.vector.bits", "")) {
        case "256" -> FloatVector.SPECIES_256;
        case "512" -> FloatVector.SPECIES_512;
        default -> FloatVector.SPECIES_PREFERRED;
    };
    private static final int L = FS.length();

    public VectorFloatOps() {
    }

    @Override
    public String name() {
        return "vector-" + FS.vectorBitSize();
    }

    private static final VectorShuffle<Float> SWAP8 = VectorShuffle.fromOp(FS, i -> i ^ 8 & (L - 1));
    private static final VectorShuffle<Float> SWAP4 = VectorShuffle.fromOp(FS, i -> i ^ 4);
    private static final VectorShuffle<Float> SWAP2 = VectorShuffle.fromOp(FS, i -> i ^ 2);
    private static final VectorShuffle<Float> SWAP1 = VectorShuffle.fromOp(FS, i -> i ^ 1);

    /**
     * e^x per lane from lane-wise arithmetic only (Cephes' expf: x = n·ln2 + r, a degree-6 polynomial in r, times
     * 2^n through the exponent bits; ≤ 1.01 ulp against Math.exp over [−88, 88], measured). {@code lanewise(EXP)}
     * is SVML in C2 but Math.exp per lane in interpreted code, so its last bits depended on when the JIT compiled a
     * loop; these operations give the same bits in every tier. Below −87.3 the result is 0, above 88.7 it is ∞.
     */
    public static FloatVector exp(FloatVector x) {
        FloatVector c = x.max(-87.33654f).min(88.72283f);
        FloatVector n = c.mul(1.44269504088896341f).add(ROUND).sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(FS, -0.693359375f), c).add(n.mul(2.12194440e-4f));
        FloatVector p = r.fma(1.9875691500E-4f, 1.3981999507E-3f);
        p = p.fma(r, FloatVector.broadcast(FS, 8.3334519073E-3f));
        p = p.fma(r, FloatVector.broadcast(FS, 4.1665795894E-2f));
        p = p.fma(r, FloatVector.broadcast(FS, 1.6666665459E-1f));
        p = p.fma(r, FloatVector.broadcast(FS, 5.0000001201E-1f));
        p = p.fma(r.mul(r), r).add(1f);
        FloatVector scale = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector e = p.mul(scale);
        // Outside the clamp: exactly 0 below, ∞ above (silu's -0 for very negative inputs needs the ∞).
        e = e.blend(0f, x.compare(VectorOperators.LT, -87.33654f));
        return e.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, 88.72283f));
    }

    /**
     * The sum of v's lanes in a fixed order (halves added pairwise). {@code reduceLanes(ADD)} leaves its order to
     * the implementation, and interpreted code and C2 add the lanes differently: the last bits of every dot product
     * then depended on when the JIT compiled it, and greedy output on near-ties varied from run to run. Lane
     * moves and lane-wise adds give the same bits in every tier.
     */
    public static float sumLanes(FloatVector v) {
        if (L == 16) v = v.add(v.rearrange(SWAP8));
        v = v.add(v.rearrange(SWAP4));
        v = v.add(v.rearrange(SWAP2));
        v = v.add(v.rearrange(SWAP1));
        return v.lane(0);
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector s0 = FloatVector.zero(FS), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            s0 = FloatVector.fromArray(FS, a, aOff + i).fma(FloatVector.fromArray(FS, b, bOff + i), s0);
            s1 = FloatVector.fromArray(FS, a, aOff + i + L).fma(FloatVector.fromArray(FS, b, bOff + i + L), s1);
            s2 = FloatVector.fromArray(FS, a, aOff + i + 2 * L).fma(FloatVector.fromArray(FS, b, bOff + i + 2 * L), s2);
            s3 = FloatVector.fromArray(FS, a, aOff + i + 3 * L).fma(FloatVector.fromArray(FS, b, bOff + i + 3 * L), s3);
        }
        for (; i + L <= n; i += L) s0 = FloatVector.fromArray(FS, a, aOff + i).fma(FloatVector.fromArray(FS, b, bOff + i), s0);
        float s = sumLanes(s0.add(s1).add(s2.add(s3)));
        for (; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    /** Two rows per pass: the query's vectors are loaded once for both, eight FMA chains in flight. */
    @Override
    public void dotRows(float[] q, int qOff, float[] rows, int rowOff, int stride, int count, int n, float scale,
                        float[] out, int outOff) {
        int r = 0;
        for (; r + 2 <= count; r += 2) {
            int b0 = rowOff + r * stride, b1 = b0 + stride;
            FloatVector s0 = FloatVector.zero(FS), s1 = s0, s2 = s0, s3 = s0, t0 = s0, t1 = s0, t2 = s0, t3 = s0;
            int i = 0;
            for (; i + 4 * L <= n; i += 4 * L) {
                FloatVector q0 = FloatVector.fromArray(FS, q, qOff + i);
                FloatVector q1 = FloatVector.fromArray(FS, q, qOff + i + L);
                FloatVector q2 = FloatVector.fromArray(FS, q, qOff + i + 2 * L);
                FloatVector q3 = FloatVector.fromArray(FS, q, qOff + i + 3 * L);
                s0 = q0.fma(FloatVector.fromArray(FS, rows, b0 + i), s0);
                s1 = q1.fma(FloatVector.fromArray(FS, rows, b0 + i + L), s1);
                s2 = q2.fma(FloatVector.fromArray(FS, rows, b0 + i + 2 * L), s2);
                s3 = q3.fma(FloatVector.fromArray(FS, rows, b0 + i + 3 * L), s3);
                t0 = q0.fma(FloatVector.fromArray(FS, rows, b1 + i), t0);
                t1 = q1.fma(FloatVector.fromArray(FS, rows, b1 + i + L), t1);
                t2 = q2.fma(FloatVector.fromArray(FS, rows, b1 + i + 2 * L), t2);
                t3 = q3.fma(FloatVector.fromArray(FS, rows, b1 + i + 3 * L), t3);
            }
            for (; i + L <= n; i += L) {
                FloatVector qi = FloatVector.fromArray(FS, q, qOff + i);
                s0 = qi.fma(FloatVector.fromArray(FS, rows, b0 + i), s0);
                t0 = qi.fma(FloatVector.fromArray(FS, rows, b1 + i), t0);
            }
            float d0 = sumLanes(s0.add(s1).add(s2.add(s3)));
            float d1 = sumLanes(t0.add(t1).add(t2.add(t3)));
            for (; i < n; i++) {
                d0 += q[qOff + i] * rows[b0 + i];
                d1 += q[qOff + i] * rows[b1 + i];
            }
            out[outOff + r] = d0 * scale;
            out[outOff + r + 1] = d1 * scale;
        }
        for (; r < count; r++) out[outOff + r] = dot(q, qOff, rows, rowOff + r * stride, n) * scale;
    }

    /** One row per pass, its vectors loaded once for both queries (the queries' vectors come from L1). */
    @Override
    public void dotRows2(float[] q, int qaOff, int qbOff, float[] rows, int rowOff, int stride, int count, int n,
                         float scale, float[] outA, float[] outB) {
        for (int r = 0; r < count; r++) {
            int b = rowOff + r * stride;
            FloatVector s0 = FloatVector.zero(FS), s1 = s0, s2 = s0, s3 = s0, t0 = s0, t1 = s0, t2 = s0, t3 = s0;
            int i = 0;
            for (; i + 4 * L <= n; i += 4 * L) {
                FloatVector k0 = FloatVector.fromArray(FS, rows, b + i);
                FloatVector k1 = FloatVector.fromArray(FS, rows, b + i + L);
                FloatVector k2 = FloatVector.fromArray(FS, rows, b + i + 2 * L);
                FloatVector k3 = FloatVector.fromArray(FS, rows, b + i + 3 * L);
                s0 = FloatVector.fromArray(FS, q, qaOff + i).fma(k0, s0);
                s1 = FloatVector.fromArray(FS, q, qaOff + i + L).fma(k1, s1);
                s2 = FloatVector.fromArray(FS, q, qaOff + i + 2 * L).fma(k2, s2);
                s3 = FloatVector.fromArray(FS, q, qaOff + i + 3 * L).fma(k3, s3);
                t0 = FloatVector.fromArray(FS, q, qbOff + i).fma(k0, t0);
                t1 = FloatVector.fromArray(FS, q, qbOff + i + L).fma(k1, t1);
                t2 = FloatVector.fromArray(FS, q, qbOff + i + 2 * L).fma(k2, t2);
                t3 = FloatVector.fromArray(FS, q, qbOff + i + 3 * L).fma(k3, t3);
            }
            for (; i + L <= n; i += L) {
                FloatVector k = FloatVector.fromArray(FS, rows, b + i);
                s0 = FloatVector.fromArray(FS, q, qaOff + i).fma(k, s0);
                t0 = FloatVector.fromArray(FS, q, qbOff + i).fma(k, t0);
            }
            float da = sumLanes(s0.add(s1).add(s2.add(s3)));
            float db = sumLanes(t0.add(t1).add(t2.add(t3)));
            for (; i < n; i++) {
                da += q[qaOff + i] * rows[b + i];
                db += q[qbOff + i] * rows[b + i];
            }
            outA[r] = da * scale;
            outB[r] = db * scale;
        }
    }

    /** Columns in blocks of two vectors, eight accumulators in all: each row's vectors loaded once for both sums. */
    @Override
    public void weightedSum2(float[] wa, float[] wb, float[] rows, int rowOff, int stride, int count, int n,
                             float[] out, int aOff, int bOff) {
        int j = 0;
        for (; j + 2 * L <= n; j += 2 * L) {
            FloatVector a0 = FloatVector.fromArray(FS, out, aOff + j);
            FloatVector a1 = FloatVector.fromArray(FS, out, aOff + j + L);
            FloatVector b0 = FloatVector.fromArray(FS, out, bOff + j);
            FloatVector b1 = FloatVector.fromArray(FS, out, bOff + j + L);
            for (int i = 0; i < count; i++) {
                int r = rowOff + i * stride + j;
                FloatVector v0 = FloatVector.fromArray(FS, rows, r);
                FloatVector v1 = FloatVector.fromArray(FS, rows, r + L);
                FloatVector x = FloatVector.broadcast(FS, wa[i]);
                FloatVector y = FloatVector.broadcast(FS, wb[i]);
                a0 = v0.fma(x, a0);
                a1 = v1.fma(x, a1);
                b0 = v0.fma(y, b0);
                b1 = v1.fma(y, b1);
            }
            a0.intoArray(out, aOff + j);
            a1.intoArray(out, aOff + j + L);
            b0.intoArray(out, bOff + j);
            b1.intoArray(out, bOff + j + L);
        }
        if (j < n) {
            weightedSum(wa, 0, rows, rowOff + j, stride, count, n - j, out, aOff + j);
            weightedSum(wb, 0, rows, rowOff + j, stride, count, n - j, out, bOff + j);
        }
    }

    @Override
    public int tileLanes() {
        return L;
    }

    /**
     * Queries in lanes, six rows per pass: per element one vector of the queries and six broadcast row values feed
     * six FMAs, and no lane is ever summed across (the per-row dot products need a horizontal reduction each).
     */
    @Override
    public void scoresTile(float[] qt, int lanes, float[] rows, int rowOff, int stride, int count, int n, float scale,
                           float[] out) {
        if (lanes != L) {
            FloatOps.super.scoresTile(qt, lanes, rows, rowOff, stride, count, n, scale, out);
            return;
        }
        int i = 0;
        for (; i + 6 <= count; i += 6) {
            int r0 = rowOff + i * stride, r1 = r0 + stride, r2 = r1 + stride, r3 = r2 + stride, r4 = r3 + stride, r5 = r4 + stride;
            FloatVector s0 = FloatVector.zero(FS), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0;
            for (int d = 0; d < n; d++) {
                FloatVector q = FloatVector.fromArray(FS, qt, d * L);
                s0 = q.fma(FloatVector.broadcast(FS, rows[r0 + d]), s0);
                s1 = q.fma(FloatVector.broadcast(FS, rows[r1 + d]), s1);
                s2 = q.fma(FloatVector.broadcast(FS, rows[r2 + d]), s2);
                s3 = q.fma(FloatVector.broadcast(FS, rows[r3 + d]), s3);
                s4 = q.fma(FloatVector.broadcast(FS, rows[r4 + d]), s4);
                s5 = q.fma(FloatVector.broadcast(FS, rows[r5 + d]), s5);
            }
            s0.mul(scale).intoArray(out, i * L);
            s1.mul(scale).intoArray(out, (i + 1) * L);
            s2.mul(scale).intoArray(out, (i + 2) * L);
            s3.mul(scale).intoArray(out, (i + 3) * L);
            s4.mul(scale).intoArray(out, (i + 4) * L);
            s5.mul(scale).intoArray(out, (i + 5) * L);
        }
        for (; i < count; i++) {
            int r0 = rowOff + i * stride;
            FloatVector s0 = FloatVector.zero(FS);
            for (int d = 0; d < n; d++) s0 = FloatVector.fromArray(FS, qt, d * L).fma(FloatVector.broadcast(FS, rows[r0 + d]), s0);
            s0.mul(scale).intoArray(out, i * L);
        }
    }

    /** Columns in lanes: the max, the exponentials and their sums are lane-wise, one row vector at a time. */
    @Override
    public void softmaxTile(float[] s, int lanes, int count) {
        if (lanes != L) {
            FloatOps.super.softmaxTile(s, lanes, count);
            return;
        }
        FloatVector max = FloatVector.broadcast(FS, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < count; i++) max = max.max(FloatVector.fromArray(FS, s, i * L));
        FloatVector sum = FloatVector.zero(FS);
        for (int i = 0; i < count; i++) {
            FloatVector e = exp(FloatVector.fromArray(FS, s, i * L).sub(max));
            e.intoArray(s, i * L);
            sum = sum.add(e);
        }
        FloatVector inv = FloatVector.broadcast(FS, 1f).div(sum);
        for (int i = 0; i < count; i++) FloatVector.fromArray(FS, s, i * L).mul(inv).intoArray(s, i * L);
    }

    /**
     * Four columns of weights at a time over four vectors of the row (sixteen accumulators): per row four
     * loads and four broadcasts feed sixteen FMAs.
     */
    @Override
    public void weightedTile(float[] w, int lanes, int used, float[] rows, int rowOff, int stride, int count, int n,
                             float[] out, int[] outOff) {
        if (n % (4 * L) != 0) {
            FloatOps.super.weightedTile(w, lanes, used, rows, rowOff, stride, count, n, out, outOff);
            return;
        }
        for (int l0 = 0; l0 < used; l0 += 4) {
            // A last group of fewer than four columns repeats its last one; those sums are not stored.
            int la = l0, lb = Math.min(l0 + 1, used - 1), lc = Math.min(l0 + 2, used - 1), ld = Math.min(l0 + 3, used - 1);
            for (int j = 0; j < n; j += 4 * L) {
                FloatVector a0 = FloatVector.zero(FS), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
                FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0, d0 = a0, d1 = a0, d2 = a0, d3 = a0;
                for (int i = 0; i < count; i++) {
                    int r = rowOff + i * stride + j;
                    FloatVector v0 = FloatVector.fromArray(FS, rows, r);
                    FloatVector v1 = FloatVector.fromArray(FS, rows, r + L);
                    FloatVector v2 = FloatVector.fromArray(FS, rows, r + 2 * L);
                    FloatVector v3 = FloatVector.fromArray(FS, rows, r + 3 * L);
                    FloatVector x = FloatVector.broadcast(FS, w[i * lanes + la]);
                    a0 = v0.fma(x, a0);
                    a1 = v1.fma(x, a1);
                    a2 = v2.fma(x, a2);
                    a3 = v3.fma(x, a3);
                    x = FloatVector.broadcast(FS, w[i * lanes + lb]);
                    b0 = v0.fma(x, b0);
                    b1 = v1.fma(x, b1);
                    b2 = v2.fma(x, b2);
                    b3 = v3.fma(x, b3);
                    x = FloatVector.broadcast(FS, w[i * lanes + lc]);
                    c0 = v0.fma(x, c0);
                    c1 = v1.fma(x, c1);
                    c2 = v2.fma(x, c2);
                    c3 = v3.fma(x, c3);
                    x = FloatVector.broadcast(FS, w[i * lanes + ld]);
                    d0 = v0.fma(x, d0);
                    d1 = v1.fma(x, d1);
                    d2 = v2.fma(x, d2);
                    d3 = v3.fma(x, d3);
                }
                int o = outOff[la] + j;
                a0.intoArray(out, o);
                a1.intoArray(out, o + L);
                a2.intoArray(out, o + 2 * L);
                a3.intoArray(out, o + 3 * L);
                if (l0 + 1 < used) {
                    o = outOff[lb] + j;
                    b0.intoArray(out, o);
                    b1.intoArray(out, o + L);
                    b2.intoArray(out, o + 2 * L);
                    b3.intoArray(out, o + 3 * L);
                }
                if (l0 + 2 < used) {
                    o = outOff[lc] + j;
                    c0.intoArray(out, o);
                    c1.intoArray(out, o + L);
                    c2.intoArray(out, o + 2 * L);
                    c3.intoArray(out, o + 3 * L);
                }
                if (l0 + 3 < used) {
                    o = outOff[ld] + j;
                    d0.intoArray(out, o);
                    d1.intoArray(out, o + L);
                    d2.intoArray(out, o + 2 * L);
                    d3.intoArray(out, o + 3 * L);
                }
            }
        }
    }

    /** One row per pass, its vectors loaded once for all four queries; 16 accumulators, so 512 bits only. */
    @Override
    public void dotRows4(float[] q, int[] qOff, float[] rows, int rowOff, int stride, int count, int n, float scale,
                         float[][] out) {
        if (L != 16 || n % (4 * L) != 0) {
            FloatOps.super.dotRows4(q, qOff, rows, rowOff, stride, count, n, scale, out);
            return;
        }
        int qa = qOff[0], qb = qOff[1], qc = qOff[2], qd = qOff[3];
        float[] oa = out[0], ob = out[1], oc = out[2], od = out[3];
        for (int r = 0; r < count; r++) {
            int b = rowOff + r * stride;
            FloatVector a0 = FloatVector.zero(FS), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0, d0 = a0, d1 = a0, d2 = a0, d3 = a0;
            for (int i = 0; i < n; i += 4 * L) {
                FloatVector k0 = FloatVector.fromArray(FS, rows, b + i);
                FloatVector k1 = FloatVector.fromArray(FS, rows, b + i + L);
                FloatVector k2 = FloatVector.fromArray(FS, rows, b + i + 2 * L);
                FloatVector k3 = FloatVector.fromArray(FS, rows, b + i + 3 * L);
                a0 = FloatVector.fromArray(FS, q, qa + i).fma(k0, a0);
                a1 = FloatVector.fromArray(FS, q, qa + i + L).fma(k1, a1);
                a2 = FloatVector.fromArray(FS, q, qa + i + 2 * L).fma(k2, a2);
                a3 = FloatVector.fromArray(FS, q, qa + i + 3 * L).fma(k3, a3);
                b0 = FloatVector.fromArray(FS, q, qb + i).fma(k0, b0);
                b1 = FloatVector.fromArray(FS, q, qb + i + L).fma(k1, b1);
                b2 = FloatVector.fromArray(FS, q, qb + i + 2 * L).fma(k2, b2);
                b3 = FloatVector.fromArray(FS, q, qb + i + 3 * L).fma(k3, b3);
                c0 = FloatVector.fromArray(FS, q, qc + i).fma(k0, c0);
                c1 = FloatVector.fromArray(FS, q, qc + i + L).fma(k1, c1);
                c2 = FloatVector.fromArray(FS, q, qc + i + 2 * L).fma(k2, c2);
                c3 = FloatVector.fromArray(FS, q, qc + i + 3 * L).fma(k3, c3);
                d0 = FloatVector.fromArray(FS, q, qd + i).fma(k0, d0);
                d1 = FloatVector.fromArray(FS, q, qd + i + L).fma(k1, d1);
                d2 = FloatVector.fromArray(FS, q, qd + i + 2 * L).fma(k2, d2);
                d3 = FloatVector.fromArray(FS, q, qd + i + 3 * L).fma(k3, d3);
            }
            oa[r] = sumLanes(a0.add(a1).add(a2.add(a3))) * scale;
            ob[r] = sumLanes(b0.add(b1).add(b2.add(b3))) * scale;
            oc[r] = sumLanes(c0.add(c1).add(c2.add(c3))) * scale;
            od[r] = sumLanes(d0.add(d1).add(d2.add(d3))) * scale;
        }
    }

    /** Columns in blocks of two vectors for all four sums (eight accumulators): each row's vectors feed eight FMAs. */
    @Override
    public void weightedSum4(float[][] w, float[] rows, int rowOff, int stride, int count, int n, float[] out, int[] outOff) {
        if (n % (2 * L) != 0) {
            FloatOps.super.weightedSum4(w, rows, rowOff, stride, count, n, out, outOff);
            return;
        }
        float[] wa = w[0], wb = w[1], wc = w[2], wd = w[3];
        int oa = outOff[0], ob = outOff[1], oc = outOff[2], od = outOff[3];
        for (int j = 0; j < n; j += 2 * L) {
            FloatVector a0 = FloatVector.fromArray(FS, out, oa + j), a1 = FloatVector.fromArray(FS, out, oa + j + L);
            FloatVector b0 = FloatVector.fromArray(FS, out, ob + j), b1 = FloatVector.fromArray(FS, out, ob + j + L);
            FloatVector c0 = FloatVector.fromArray(FS, out, oc + j), c1 = FloatVector.fromArray(FS, out, oc + j + L);
            FloatVector d0 = FloatVector.fromArray(FS, out, od + j), d1 = FloatVector.fromArray(FS, out, od + j + L);
            for (int i = 0; i < count; i++) {
                int r = rowOff + i * stride + j;
                FloatVector v0 = FloatVector.fromArray(FS, rows, r);
                FloatVector v1 = FloatVector.fromArray(FS, rows, r + L);
                FloatVector x = FloatVector.broadcast(FS, wa[i]);
                a0 = v0.fma(x, a0);
                a1 = v1.fma(x, a1);
                x = FloatVector.broadcast(FS, wb[i]);
                b0 = v0.fma(x, b0);
                b1 = v1.fma(x, b1);
                x = FloatVector.broadcast(FS, wc[i]);
                c0 = v0.fma(x, c0);
                c1 = v1.fma(x, c1);
                x = FloatVector.broadcast(FS, wd[i]);
                d0 = v0.fma(x, d0);
                d1 = v1.fma(x, d1);
            }
            a0.intoArray(out, oa + j);
            a1.intoArray(out, oa + j + L);
            b0.intoArray(out, ob + j);
            b1.intoArray(out, ob + j + L);
            c0.intoArray(out, oc + j);
            c1.intoArray(out, oc + j + L);
            d0.intoArray(out, od + j);
            d1.intoArray(out, od + j + L);
        }
    }

    /** Columns in blocks of four vectors held in registers across all the rows: out is read and written once. */
    @Override
    public void weightedSum(float[] w, int wOff, float[] rows, int rowOff, int stride, int count, int n,
                            float[] out, int outOff) {
        int j = 0;
        for (; j + 4 * L <= n; j += 4 * L) {
            FloatVector y0 = FloatVector.fromArray(FS, out, outOff + j);
            FloatVector y1 = FloatVector.fromArray(FS, out, outOff + j + L);
            FloatVector y2 = FloatVector.fromArray(FS, out, outOff + j + 2 * L);
            FloatVector y3 = FloatVector.fromArray(FS, out, outOff + j + 3 * L);
            for (int i = 0; i < count; i++) {
                FloatVector a = FloatVector.broadcast(FS, w[wOff + i]);
                int b = rowOff + i * stride + j;
                y0 = FloatVector.fromArray(FS, rows, b).fma(a, y0);
                y1 = FloatVector.fromArray(FS, rows, b + L).fma(a, y1);
                y2 = FloatVector.fromArray(FS, rows, b + 2 * L).fma(a, y2);
                y3 = FloatVector.fromArray(FS, rows, b + 3 * L).fma(a, y3);
            }
            y0.intoArray(out, outOff + j);
            y1.intoArray(out, outOff + j + L);
            y2.intoArray(out, outOff + j + 2 * L);
            y3.intoArray(out, outOff + j + 3 * L);
        }
        for (; j + L <= n; j += L) {
            FloatVector y = FloatVector.fromArray(FS, out, outOff + j);
            for (int i = 0; i < count; i++) y = FloatVector.fromArray(FS, rows, rowOff + i * stride + j).fma(FloatVector.broadcast(FS, w[wOff + i]), y);
            y.intoArray(out, outOff + j);
        }
        for (; j < n; j++) {
            for (int i = 0; i < count; i++) out[outOff + j] += w[wOff + i] * rows[rowOff + i * stride + j];
        }
    }

    @Override
    public float sumOfSquares(float[] x, int off, int n) {
        return dot(x, off, x, off, n);
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector a = FloatVector.broadcast(FS, alpha);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector.fromArray(FS, x, xOff + i).fma(a, FloatVector.fromArray(FS, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
    }

    @Override
    public void add(float[] y, int yOff, float[] x, int xOff, int n) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector.fromArray(FS, y, yOff + i).add(FloatVector.fromArray(FS, x, xOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] += x[xOff + i];
    }

    @Override
    public void scale(float[] x, int off, int n, float s) {
        int i = 0;
        for (; i + L <= n; i += L) FloatVector.fromArray(FS, x, off + i).mul(s).intoArray(x, off + i);
        for (; i < n; i++) x[off + i] *= s;
    }

    @Override
    public void scaleMul(float[] x, int xOff, float s, float[] w, float[] out, int outOff, int n) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector.fromArray(FS, x, xOff + i).mul(s).mul(FloatVector.fromArray(FS, w, i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) out[outOff + i] = x[xOff + i] * s * w[i];
    }

    /** silu(g) = g / (1 + e^−g); for g below −88 e^−g overflows to ∞ and the quotient is the correct −0. */
    private static FloatVector silu(FloatVector g) {
        return g.div(exp(g.neg()).add(1f));
    }

    @Override
    public void siluMul(float[] gate, int gOff, float[] up, int upOff, int n) {
        int i = 0;
        for (; i + L <= n; i += L) {
            silu(FloatVector.fromArray(FS, gate, gOff + i)).mul(FloatVector.fromArray(FS, up, upOff + i)).intoArray(gate, gOff + i);
        }
        for (; i < n; i++) {
            float g = gate[gOff + i];
            gate[gOff + i] = g / (1f + (float) Math.exp(-g)) * up[upOff + i];
        }
    }

    @Override
    public void sigmoidMul(float[] x, int xOff, float[] gate, int gOff, int n) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector den = exp(FloatVector.fromArray(FS, gate, gOff + i).neg()).add(1f);
            FloatVector.fromArray(FS, x, xOff + i).div(den).intoArray(x, xOff + i);
        }
        for (; i < n; i++) x[xOff + i] /= 1f + (float) Math.exp(-gate[gOff + i]);
    }

    @Override
    public void softmax(float[] x, int off, int n) {
        int i = 0;
        FloatVector mv = FloatVector.broadcast(FS, Float.NEGATIVE_INFINITY);
        for (; i + L <= n; i += L) mv = mv.max(FloatVector.fromArray(FS, x, off + i));
        float max = mv.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) max = Math.max(max, x[off + i]);
        FloatVector sv = FloatVector.zero(FS);
        i = 0;
        for (; i + L <= n; i += L) {
            FloatVector e = exp(FloatVector.fromArray(FS, x, off + i).sub(max));
            e.intoArray(x, off + i);
            sv = sv.add(e);
        }
        float sum = sumLanes(sv);
        for (; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        scale(x, off, n, 1f / sum);
    }

    @Override
    public void convolveSilu(float[] x, int off, float[] state, float[] taps, int channels, int kernel, int from, int to) {
        int keep = kernel - 1;
        int ch = from;
        for (; ch + L <= to; ch += L) {
            FloatVector input = FloatVector.fromArray(FS, x, off + ch);
            FloatVector sum = input.mul(FloatVector.fromArray(FS, taps, keep * channels + ch));
            // Row i takes row i + 1, the newest row takes the input. (Two stores, not one of a vector chosen by a
            // conditional: C2 boxes such a merged vector, which made this loop 7x slower.)
            for (int i = 0; i + 1 < keep; i++) {
                FloatVector s = FloatVector.fromArray(FS, state, i * channels + ch);
                sum = s.fma(FloatVector.fromArray(FS, taps, i * channels + ch), sum);
                FloatVector.fromArray(FS, state, (i + 1) * channels + ch).intoArray(state, i * channels + ch);
            }
            if (keep > 0) {
                int last = (keep - 1) * channels + ch;
                sum = FloatVector.fromArray(FS, state, last).fma(FloatVector.fromArray(FS, taps, last), sum);
                input.intoArray(state, last);
            }
            // silu written out: inlined into a caller's loop, a helper returning a vector may be left as a call and box.
            sum.div(exp(sum.neg()).add(1f)).intoArray(x, off + ch);
        }
        for (; ch < to; ch++) {
            float input = x[off + ch];
            float sum = taps[keep * channels + ch] * input;
            for (int i = 0; i < keep; i++) sum += taps[i * channels + ch] * state[i * channels + ch];
            for (int i = 0; i + 1 < keep; i++) state[i * channels + ch] = state[(i + 1) * channels + ch];
            if (keep > 0) state[(keep - 1) * channels + ch] = input;
            x[off + ch] = sum / (1f + (float) Math.exp(-sum));
        }
    }

    /**
     * One read of the old S per group of 4·L columns gives Sᵀk and Sᵀq (eight accumulators in flight), hence
     * δ = β·(v − α·Sᵀk) and o = α·Sᵀq + (k·q)·δ; the group is then rewritten as α·S + k·δ while it is still in
     * L1/L2, so S crosses the memory bus once per token.
     */
    @Override
    public void deltaRule(float[] state, int base, int dk, int dv, float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                          float beta, float decay, float[] out, int outOff) {
        float kq = dot(k, kOff, q, qOff, dk);
        int col = 0;
        for (; col + 4 * L <= dv; col += 4 * L) {
            FloatVector k0 = FloatVector.zero(FS), k1 = k0, k2 = k0, k3 = k0;
            FloatVector q0 = k0, q1 = k0, q2 = k0, q3 = k0;
            for (int i = 0; i < dk; i++) {
                int p = base + i * dv + col;
                FloatVector ki = FloatVector.broadcast(FS, k[kOff + i]);
                FloatVector qi = FloatVector.broadcast(FS, q[qOff + i]);
                FloatVector s0 = FloatVector.fromArray(FS, state, p);
                FloatVector s1 = FloatVector.fromArray(FS, state, p + L);
                FloatVector s2 = FloatVector.fromArray(FS, state, p + 2 * L);
                FloatVector s3 = FloatVector.fromArray(FS, state, p + 3 * L);
                k0 = s0.fma(ki, k0);
                q0 = s0.fma(qi, q0);
                k1 = s1.fma(ki, k1);
                q1 = s1.fma(qi, q1);
                k2 = s2.fma(ki, k2);
                q2 = s2.fma(qi, q2);
                k3 = s3.fma(ki, k3);
                q3 = s3.fma(qi, q3);
            }
            FloatVector d0 = delta(v, vOff + col, k0, beta, decay);
            FloatVector d1 = delta(v, vOff + col + L, k1, beta, decay);
            FloatVector d2 = delta(v, vOff + col + 2 * L, k2, beta, decay);
            FloatVector d3 = delta(v, vOff + col + 3 * L, k3, beta, decay);
            d0.fma(FloatVector.broadcast(FS, kq), q0.mul(decay)).intoArray(out, outOff + col);
            d1.fma(FloatVector.broadcast(FS, kq), q1.mul(decay)).intoArray(out, outOff + col + L);
            d2.fma(FloatVector.broadcast(FS, kq), q2.mul(decay)).intoArray(out, outOff + col + 2 * L);
            d3.fma(FloatVector.broadcast(FS, kq), q3.mul(decay)).intoArray(out, outOff + col + 3 * L);
            for (int i = 0; i < dk; i++) {
                int p = base + i * dv + col;
                FloatVector ki = FloatVector.broadcast(FS, k[kOff + i]);
                d0.fma(ki, FloatVector.fromArray(FS, state, p).mul(decay)).intoArray(state, p);
                d1.fma(ki, FloatVector.fromArray(FS, state, p + L).mul(decay)).intoArray(state, p + L);
                d2.fma(ki, FloatVector.fromArray(FS, state, p + 2 * L).mul(decay)).intoArray(state, p + 2 * L);
                d3.fma(ki, FloatVector.fromArray(FS, state, p + 3 * L).mul(decay)).intoArray(state, p + 3 * L);
            }
        }
        for (; col + L <= dv; col += L) {
            FloatVector sk = FloatVector.zero(FS), sq = sk;
            for (int i = 0; i < dk; i++) {
                FloatVector s = FloatVector.fromArray(FS, state, base + i * dv + col);
                sk = s.fma(FloatVector.broadcast(FS, k[kOff + i]), sk);
                sq = s.fma(FloatVector.broadcast(FS, q[qOff + i]), sq);
            }
            FloatVector d = delta(v, vOff + col, sk, beta, decay);
            d.fma(FloatVector.broadcast(FS, kq), sq.mul(decay)).intoArray(out, outOff + col);
            for (int i = 0; i < dk; i++) {
                int p = base + i * dv + col;
                d.fma(FloatVector.broadcast(FS, k[kOff + i]), FloatVector.fromArray(FS, state, p).mul(decay)).intoArray(state, p);
            }
        }
        for (; col < dv; col++) {
            float sk = 0, sq = 0;
            for (int i = 0; i < dk; i++) {
                float s = state[base + i * dv + col];
                sk += s * k[kOff + i];
                sq += s * q[qOff + i];
            }
            float d = beta * (v[vOff + col] - decay * sk);
            out[outOff + col] = decay * sq + kq * d;
            for (int i = 0; i < dk; i++) {
                int p = base + i * dv + col;
                state[p] = state[p] * decay + k[kOff + i] * d;
            }
        }
    }

    /** δ = β·(v − α·Sᵀk) for one vector of columns. */
    /**
     * Kernel 4 (Qwen3.5's): per vector of channels the three state rows and four taps stay in registers over all
     * the tokens, so each token is one load, one multiply, three FMAs, SiLU and one store (the per-token version
     * reads and shifts the state rows in memory for every token). Same operations in the same order as
     * {@link #convolveSilu(float[], int, float[], float[], int, int, int, int)}.
     */
    @Override
    public void convolveSiluTokens(float[] x, int off, int stride, int tokens, float[] state, float[] taps, int channels,
                                   int kernel, int from, int to) {
        if (kernel != 4) {
            FloatOps.super.convolveSiluTokens(x, off, stride, tokens, state, taps, channels, kernel, from, to);
            return;
        }
        int ch = from;
        for (; ch + L <= to; ch += L) {
            FloatVector t0 = FloatVector.fromArray(FS, taps, ch);
            FloatVector t1 = FloatVector.fromArray(FS, taps, channels + ch);
            FloatVector t2 = FloatVector.fromArray(FS, taps, 2 * channels + ch);
            FloatVector t3 = FloatVector.fromArray(FS, taps, 3 * channels + ch);
            FloatVector s0 = FloatVector.fromArray(FS, state, ch);
            FloatVector s1 = FloatVector.fromArray(FS, state, channels + ch);
            FloatVector s2 = FloatVector.fromArray(FS, state, 2 * channels + ch);
            for (int t = 0; t < tokens; t++) {
                int at = off + t * stride + ch;
                FloatVector input = FloatVector.fromArray(FS, x, at);
                FloatVector sum = s2.fma(t2, s1.fma(t1, s0.fma(t0, input.mul(t3))));
                s0 = s1;
                s1 = s2;
                s2 = input;
                sum.div(exp(sum.neg()).add(1f)).intoArray(x, at);
            }
            s0.intoArray(state, ch);
            s1.intoArray(state, channels + ch);
            s2.intoArray(state, 2 * channels + ch);
        }
        if (ch < to) FloatOps.super.convolveSiluTokens(x, off, stride, tokens, state, taps, channels, kernel, ch, to);
    }

    /**
     * Two tokens, one pass over S per group of 2·L columns: Sᵀk₁, Sᵀq₁, Sᵀk₂, Sᵀq₂ of the old S (eight FMA chains),
     * then δ₁ = β₁(v₁ − α₁Sᵀk₁), o₁ = α₁Sᵀq₁ + (k₁·q₁)δ₁, S₁ᵀk₂ = α₁Sᵀk₂ + (k₁·k₂)δ₁, δ₂ = β₂(v₂ − α₂S₁ᵀk₂),
     * o₂ = α₂(α₁Sᵀq₂ + (k₁·q₂)δ₁) + (k₂·q₂)δ₂, and the group is rewritten once as α₁α₂S + α₂k₁δ₁ + k₂δ₂ while it
     * is still in L1: S crosses from L2 once per two tokens instead of once per token.
     */
    @Override
    public void deltaRule2(float[] state, int base, int dk, int dv, float[] x, int q1Off, int k1Off, int v1Off,
                           float beta1, float decay1, int q2Off, int k2Off, int v2Off, float beta2, float decay2,
                           float[] out, int out1Off, int out2Off) {
        if (dv % (2 * L) != 0) {
            FloatOps.super.deltaRule2(state, base, dk, dv, x, q1Off, k1Off, v1Off, beta1, decay1, q2Off, k2Off, v2Off,
                    beta2, decay2, out, out1Off, out2Off);
            return;
        }
        float kq11 = dot(x, k1Off, x, q1Off, dk);
        float kk12 = dot(x, k1Off, x, k2Off, dk);
        float kq12 = dot(x, k1Off, x, q2Off, dk);
        float kq22 = dot(x, k2Off, x, q2Off, dk);
        float decay12 = decay1 * decay2;
        FloatVector vkq11 = FloatVector.broadcast(FS, kq11), vkk12 = FloatVector.broadcast(FS, kk12);
        FloatVector vkq12 = FloatVector.broadcast(FS, kq12), vkq22 = FloatVector.broadcast(FS, kq22);
        for (int col = 0; col < dv; col += 2 * L) {
            FloatVector a0 = FloatVector.zero(FS), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, e0 = a0, e1 = a0;
            for (int i = 0; i < dk; i++) {
                int p = base + i * dv + col;
                FloatVector s0 = FloatVector.fromArray(FS, state, p);
                FloatVector s1 = FloatVector.fromArray(FS, state, p + L);
                FloatVector k1 = FloatVector.broadcast(FS, x[k1Off + i]);
                FloatVector q1 = FloatVector.broadcast(FS, x[q1Off + i]);
                FloatVector k2 = FloatVector.broadcast(FS, x[k2Off + i]);
                FloatVector q2 = FloatVector.broadcast(FS, x[q2Off + i]);
                a0 = s0.fma(k1, a0);
                a1 = s1.fma(k1, a1);
                b0 = s0.fma(q1, b0);
                b1 = s1.fma(q1, b1);
                c0 = s0.fma(k2, c0);
                c1 = s1.fma(k2, c1);
                e0 = s0.fma(q2, e0);
                e1 = s1.fma(q2, e1);
            }
            // Written out for both halves: helpers returning vectors would be left as boxing calls here.
            FloatVector d10 = FloatVector.fromArray(FS, x, v1Off + col).sub(a0.mul(decay1)).mul(beta1);
            FloatVector d11 = FloatVector.fromArray(FS, x, v1Off + col + L).sub(a1.mul(decay1)).mul(beta1);
            d10.fma(vkq11, b0.mul(decay1)).intoArray(out, out1Off + col);
            d11.fma(vkq11, b1.mul(decay1)).intoArray(out, out1Off + col + L);
            FloatVector d20 = FloatVector.fromArray(FS, x, v2Off + col).sub(d10.fma(vkk12, c0.mul(decay1)).mul(decay2)).mul(beta2);
            FloatVector d21 = FloatVector.fromArray(FS, x, v2Off + col + L).sub(d11.fma(vkk12, c1.mul(decay1)).mul(decay2)).mul(beta2);
            d20.fma(vkq22, d10.fma(vkq12, e0.mul(decay1)).mul(decay2)).intoArray(out, out2Off + col);
            d21.fma(vkq22, d11.fma(vkq12, e1.mul(decay1)).mul(decay2)).intoArray(out, out2Off + col + L);
            for (int i = 0; i < dk; i++) {
                int p = base + i * dv + col;
                FloatVector w1 = FloatVector.broadcast(FS, decay2 * x[k1Off + i]);
                FloatVector w2 = FloatVector.broadcast(FS, x[k2Off + i]);
                d20.fma(w2, d10.fma(w1, FloatVector.fromArray(FS, state, p).mul(decay12))).intoArray(state, p);
                d21.fma(w2, d11.fma(w1, FloatVector.fromArray(FS, state, p + L).mul(decay12))).intoArray(state, p + L);
            }
        }
    }

    private static FloatVector delta(float[] v, int off, FloatVector stk, float beta, float decay) {
        return FloatVector.fromArray(FS, v, off).sub(stk.mul(decay)).mul(beta);
    }

    private static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));

    /** 1.5·2^23: adding and subtracting it rounds a float below 2^22 in magnitude to an integer, half to even. */
    private static final float ROUND = 0x1.8p23f;

    @Override
    public void quantizeQ8(float[] src, int from, int to, byte[] q, float[] qf, int[] qsum, float[] amaxOut) {
        // The maxima first, in a pass of their own: the blocks' lane reductions then overlap instead of each
        // holding up its block's quantization (128×2048 values on one core: 156 → 97 µs).
        for (int b = from; b < to; b++) {
            int base = 32 * b;
            FloatVector m = FloatVector.zero(FS);
            for (int i = 0; i < 32; i += L) m = m.max(FloatVector.fromArray(FS, src, base + i).abs());
            amaxOut[b] = m.reduceLanes(VectorOperators.MAX);
        }
        for (int b = from; b < to; b++) {
            int base = 32 * b;
            float amax = amaxOut[b];
            float id = amax != 0 ? 127f / amax : 0f;
            FloatVector sum = FloatVector.zero(FS);
            for (int i = 0; i < 32; i += L) {
                // |x·id| ≤ 127, so the magic-number rounding equals Math.rint.
                FloatVector v = FloatVector.fromArray(FS, src, base + i).mul(id).add(ROUND).sub(ROUND);
                v.intoArray(qf, base + i);
                ((ByteVector) v.convertShape(VectorOperators.F2B, BYTES, 0)).intoArray(q, base + i);
                sum = sum.add(v);
            }
            qsum[b] = (int) sum.reduceLanes(VectorOperators.ADD);
        }
    }

    @Override
    public void quantizeQ8K(float[] src, int from, int to, byte[] q, float[] qf, int[] bsums, float[] d) {
        for (int b = from; b < to; b++) {
            int base = 256 * b;
            FloatVector m = FloatVector.zero(FS);
            for (int i = 0; i < 256; i += L) m = m.max(FloatVector.fromArray(FS, src, base + i).abs());
            float amax = m.reduceLanes(VectorOperators.MAX);
            if (amax == 0) {
                FloatOps.zeroQ8KBlock(b, q, qf, bsums, d);
                continue;
            }
            int first = base;
            while (Math.abs(src[first]) != amax) first++;                 // the first value of largest magnitude
            float iscale = -127f / src[first];
            for (int g = 0; g < 16; g++) {
                FloatVector sum = FloatVector.zero(FS);
                for (int i = base + 16 * g; i < base + 16 * g + 16; i += L) {
                    // |iscale·x| ≤ 127 (up to rounding), so the magic-number rounding equals Math.rint.
                    FloatVector v = FloatVector.fromArray(FS, src, i).mul(iscale).add(ROUND).sub(ROUND).min(127f);
                    v.intoArray(qf, i);
                    ((ByteVector) v.convertShape(VectorOperators.F2B, BYTES, 0)).intoArray(q, i);
                    sum = sum.add(v);
                }
                bsums[16 * b + g] = (int) sum.reduceLanes(VectorOperators.ADD);
            }
            d[b] = 1 / iscale;
        }
    }
}
