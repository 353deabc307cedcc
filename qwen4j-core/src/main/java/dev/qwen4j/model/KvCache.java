package dev.qwen4j.model;

import dev.qwen4j.tensor.FloatOps;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One attention layer's cache of post-RoPE keys and raw values, {@code kvDim = n_kv·d_h} per position
 * (QWEN_SPEC.md §2.4), stored as F32 or F16 ({@link LoadOptions.KvCacheType}). Grows by doubling up to the
 * state's capacity, so a large context costs memory only once it is used. Attention reads it only through its
 * methods (per position, per run of positions, or in tiles of queries), so the element type stays a private matter
 * of the cache.
 */
abstract sealed class KvCache {
    private static final FloatOps OPS = FloatOps.preferred();

    final int kvDim;
    final int capacity;

    private KvCache(int kvDim, int capacity) {
        this.kvDim = kvDim;
        this.capacity = capacity;
    }

    static KvCache create(LoadOptions.KvCacheType type, int kvDim, int capacity) {
        return switch (type) {
            case F32 -> new F32(kvDim, capacity);
            case F16 -> new F16(kvDim, capacity);
        };
    }

    int kvDim() {
        return kvDim;
    }

    abstract LoadOptions.KvCacheType type();

    /** Makes room for positions 0..positions-1. */
    abstract void ensure(int positions);

    abstract void store(int position, float[] k, int kOff, float[] v, int vOff);

    /** {@code q[qOff..qOff+n) · key[position][off..off+n)}. */
    abstract float dotKey(int position, int off, float[] q, int qOff, int n);

    /** {@code out[outOff..outOff+n) += a · value[position][off..off+n)}. */
    abstract void addValue(int position, int off, float a, float[] out, int outOff, int n);

    /**
     * Scores of positions {@code 0..count-1}: {@code out[i] = scale · q·key[i][off..off+n)} (as {@link #dotKey}
     * then the scale).
     */
    void scores(int count, int off, float[] q, int qOff, int n, float scale, float[] out) {
        for (int i = 0; i < count; i++) out[i] = dotKey(i, off, q, qOff, n) * scale;
    }

    /** {@code out[outOff..outOff+n) += Σ_i w[i]·value[i][off..off+n)} over positions {@code 0..count-1}, in order. */
    void weightedValues(float[] w, int count, int off, float[] out, int outOff, int n) {
        for (int i = 0; i < count; i++) addValue(i, off, w[i], out, outOff, n);
    }

    /** {@link #scores} for two queries (two query heads sharing this KV head), into {@code outA} and {@code outB}. */
    void scores2(int count, int off, float[] q, int qaOff, int qbOff, int n, float scale, float[] outA, float[] outB) {
        scores(count, off, q, qaOff, n, scale, outA);
        scores(count, off, q, qbOff, n, scale, outB);
    }

    /** {@link #weightedValues} for two weight vectors, into {@code out[aOff ..]} and {@code out[bOff ..]}. */
    void weightedValues2(float[] wa, float[] wb, int count, int off, float[] out, int aOff, int bOff, int n) {
        weightedValues(wa, count, off, out, aOff, n);
        weightedValues(wb, count, off, out, bOff, n);
    }

    /** {@link #scores} for four queries at {@code q[qOff[j] ..]} into {@code out[j]}. */
    void scores4(int count, int off, float[] q, int[] qOff, int n, float scale, float[][] out) {
        for (int j = 0; j < 4; j++) scores(count, off, q, qOff[j], n, scale, out[j]);
    }

    /** {@link #weightedValues} for four weight vectors {@code w[j]} into {@code out[outOff[j] ..]}. */
    void weightedValues4(float[][] w, int count, int off, float[] out, int[] outOff, int n) {
        for (int j = 0; j < 4; j++) weightedValues(w[j], count, off, out, outOff[j], n);
    }

    /**
     * Positions {@code [from, to)} of the slice at {@code off} (n values: one KV head), keys into {@code keys} and
     * values into {@code values} as F32, row p at {@code p·n}: the rows prompt tiles read, back to back (in the cache
     * they lie kvDim apart, 4 KB on most models, and walks down them keep hitting one L1 set).
     */
    abstract void copyRows(int from, int to, int off, int n, float[] keys, float[] values);

    abstract long byteSize();

    /** Raw keys then values of positions 0..positions-1, little-endian. */
    abstract void writeTo(DataOutput out, int positions) throws IOException;

    abstract void readFrom(DataInput in, int positions) throws IOException;

    /** Size of the arrays after growing to hold {@code needed} elements. */
    int grownLength(long needed, int current) {
        long grown = Math.max(needed, Math.min((long) capacity * kvDim, Math.max(2L * current, 64L * kvDim)));
        return Math.toIntExact(grown);
    }

    static final class F32 extends KvCache {
        private float[] keys = new float[0];
        private float[] values = new float[0];

        F32(int kvDim, int capacity) {
            super(kvDim, capacity);
        }

        @Override
        LoadOptions.KvCacheType type() {
            return LoadOptions.KvCacheType.F32;
        }

        @Override
        void ensure(int positions) {
            long needed = (long) positions * kvDim;
            if (needed <= keys.length) return;
            int n = grownLength(needed, keys.length);
            keys = Arrays.copyOf(keys, n);
            values = Arrays.copyOf(values, n);
        }

        @Override
        void store(int position, float[] k, int kOff, float[] v, int vOff) {
            System.arraycopy(k, kOff, keys, position * kvDim, kvDim);
            System.arraycopy(v, vOff, values, position * kvDim, kvDim);
        }

        @Override
        float dotKey(int position, int off, float[] q, int qOff, int n) {
            return OPS.dot(q, qOff, keys, position * kvDim + off, n);
        }

        @Override
        void addValue(int position, int off, float a, float[] out, int outOff, int n) {
            OPS.axpy(a, values, position * kvDim + off, out, outOff, n);
        }

        @Override
        void scores(int count, int off, float[] q, int qOff, int n, float scale, float[] out) {
            OPS.dotRows(q, qOff, keys, off, kvDim, count, n, scale, out, 0);
        }

        @Override
        void weightedValues(float[] w, int count, int off, float[] out, int outOff, int n) {
            OPS.weightedSum(w, 0, values, off, kvDim, count, n, out, outOff);
        }

        @Override
        void scores2(int count, int off, float[] q, int qaOff, int qbOff, int n, float scale, float[] outA, float[] outB) {
            OPS.dotRows2(q, qaOff, qbOff, keys, off, kvDim, count, n, scale, outA, outB);
        }

        @Override
        void weightedValues2(float[] wa, float[] wb, int count, int off, float[] out, int aOff, int bOff, int n) {
            OPS.weightedSum2(wa, wb, values, off, kvDim, count, n, out, aOff, bOff);
        }

        @Override
        void scores4(int count, int off, float[] q, int[] qOff, int n, float scale, float[][] out) {
            OPS.dotRows4(q, qOff, keys, off, kvDim, count, n, scale, out);
        }

        @Override
        void weightedValues4(float[][] w, int count, int off, float[] out, int[] outOff, int n) {
            OPS.weightedSum4(w, values, off, kvDim, count, n, out, outOff);
        }

        @Override
        void copyRows(int from, int to, int off, int n, float[] keysOut, float[] valuesOut) {
            for (int p = from; p < to; p++) {
                System.arraycopy(keys, p * kvDim + off, keysOut, p * n, n);
                System.arraycopy(values, p * kvDim + off, valuesOut, p * n, n);
            }
        }

        @Override
        long byteSize() {
            return 4L * (keys.length + values.length);
        }

        @Override
        void writeTo(DataOutput out, int positions) throws IOException {
            ByteBuffer buf = ByteBuffer.allocate(4 * kvDim).order(ByteOrder.LITTLE_ENDIAN);
            for (float[] a : new float[][]{keys, values}) {
                for (int p = 0; p < positions; p++) {
                    buf.clear();
                    buf.asFloatBuffer().put(a, p * kvDim, kvDim);
                    out.write(buf.array());
                }
            }
        }

        @Override
        void readFrom(DataInput in, int positions) throws IOException {
            ensure(positions);
            byte[] bytes = new byte[4 * kvDim];
            ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            for (float[] a : new float[][]{keys, values}) {
                for (int p = 0; p < positions; p++) {
                    in.readFully(bytes);
                    buf.clear();
                    buf.asFloatBuffer().get(a, p * kvDim, kvDim);
                }
            }
        }
    }

    /** Half the memory; values are rounded to F16 (nearest even) when stored, as llama.cpp's F16 cache does. */
    static final class F16 extends KvCache {
        private short[] keys = new short[0];
        private short[] values = new short[0];

        F16(int kvDim, int capacity) {
            super(kvDim, capacity);
        }

        @Override
        LoadOptions.KvCacheType type() {
            return LoadOptions.KvCacheType.F16;
        }

        @Override
        void ensure(int positions) {
            long needed = (long) positions * kvDim;
            if (needed <= keys.length) return;
            int n = grownLength(needed, keys.length);
            keys = Arrays.copyOf(keys, n);
            values = Arrays.copyOf(values, n);
        }

        @Override
        void store(int position, float[] k, int kOff, float[] v, int vOff) {
            int base = position * kvDim;
            for (int i = 0; i < kvDim; i++) {
                keys[base + i] = Float.floatToFloat16(k[kOff + i]);
                values[base + i] = Float.floatToFloat16(v[vOff + i]);
            }
        }

        @Override
        float dotKey(int position, int off, float[] q, int qOff, int n) {
            int k = position * kvDim + off;
            float s = 0;
            for (int i = 0; i < n; i++) s += q[qOff + i] * Float.float16ToFloat(keys[k + i]);
            return s;
        }

        @Override
        void addValue(int position, int off, float a, float[] out, int outOff, int n) {
            int v = position * kvDim + off;
            for (int i = 0; i < n; i++) out[outOff + i] += a * Float.float16ToFloat(values[v + i]);
        }

        /** The JIT vectorises these conversions. */
        @Override
        void copyRows(int from, int to, int off, int n, float[] keysOut, float[] valuesOut) {
            for (int p = from; p < to; p++) {
                int src = p * kvDim + off, dst = p * n;
                for (int i = 0; i < n; i++) keysOut[dst + i] = Float.float16ToFloat(keys[src + i]);
                for (int i = 0; i < n; i++) valuesOut[dst + i] = Float.float16ToFloat(values[src + i]);
            }
        }

        @Override
        long byteSize() {
            return 2L * (keys.length + values.length);
        }

        @Override
        void writeTo(DataOutput out, int positions) throws IOException {
            ByteBuffer buf = ByteBuffer.allocate(2 * kvDim).order(ByteOrder.LITTLE_ENDIAN);
            for (short[] a : new short[][]{keys, values}) {
                for (int p = 0; p < positions; p++) {
                    buf.clear();
                    buf.asShortBuffer().put(a, p * kvDim, kvDim);
                    out.write(buf.array());
                }
            }
        }

        @Override
        void readFrom(DataInput in, int positions) throws IOException {
            ensure(positions);
            byte[] bytes = new byte[2 * kvDim];
            ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            for (short[] a : new short[][]{keys, values}) {
                for (int p = 0; p < positions; p++) {
                    in.readFully(bytes);
                    buf.clear();
                    buf.asShortBuffer().get(a, p * kvDim, kvDim);
                }
            }
        }
    }
}
