package dev.qwen4j.model;

/**
 * How to load a model: {@code threads} for the kernels (0 = one per core) and the KV cache element type.
 */
public record LoadOptions(int threads, KvCacheType kvCacheType) {

    /** Element type of the attention KV cache: F32 (exact) or F16 (half the memory, llama.cpp's default). */
    public enum KvCacheType { F32, F16 }

    public LoadOptions {
        if (threads < 0) throw new IllegalArgumentException("threads must be ≥ 0, got " + threads);
        if (kvCacheType == null) kvCacheType = KvCacheType.F32;
    }

    public static LoadOptions defaults() {
        return new LoadOptions(0, KvCacheType.F32);
    }

    public LoadOptions withThreads(int n) {
        return new LoadOptions(n, kvCacheType);
    }

    public LoadOptions withKvCacheType(KvCacheType type) {
        return new LoadOptions(threads, type);
    }
}
