package dev.qwen4j.model;

import java.util.Arrays;

/**
 * One attention layer's cache of post-RoPE keys and raw values, {@code kvDim = n_kv·d_h} floats per position
 * (QWEN_SPEC.md §2.4). Grows by doubling up to the state's capacity, so a large context costs memory only once
 * it is used. (F32 today; an F16 variant would implement the same four methods.)
 */
final class KvCache {
    private final int kvDim;
    private final int capacity;
    private float[] keys = new float[0];
    private float[] values = new float[0];

    KvCache(int kvDim, int capacity) {
        this.kvDim = kvDim;
        this.capacity = capacity;
    }

    int kvDim() {
        return kvDim;
    }

    /** Makes room for positions 0..positions-1. */
    void ensure(int positions) {
        long needed = (long) positions * kvDim;
        if (needed <= keys.length) return;
        long grown = Math.max(needed, Math.min((long) capacity * kvDim, Math.max(2L * keys.length, 64L * kvDim)));
        keys = Arrays.copyOf(keys, Math.toIntExact(grown));
        values = Arrays.copyOf(values, Math.toIntExact(grown));
    }

    void store(int position, float[] k, int kOff, float[] v, int vOff) {
        System.arraycopy(k, kOff, keys, position * kvDim, kvDim);
        System.arraycopy(v, vOff, values, position * kvDim, kvDim);
    }

    float[] keys() {
        return keys;
    }

    float[] values() {
        return values;
    }

    long byteSize() {
        return 4L * (keys.length + values.length);
    }
}
