package dev.qwen4j.tokenizer;

import java.util.Arrays;

/**
 * BPE merges keyed by the ids of the two symbols (open addressing over {@code long} keys): rank of the pair and the id
 * of the merged token. Ranks are merge-list positions, so lower merges first (QWEN_SPEC.md §5.4).
 */
final class MergeTable {
    private final long[] keys;
    private final int[] ranks;
    private final int[] results;
    private final int mask;
    private int size;

    MergeTable(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        Arrays.fill(keys, -1L);
        ranks = new int[cap];
        results = new int[cap];
        mask = cap - 1;
    }

    /** Adds a merge unless the pair is already present (the earlier, lower rank wins). */
    void add(int left, int right, int rank, int result) {
        long key = key(left, right);
        int slot = slot(key);
        while (keys[slot] != -1L) {
            if (keys[slot] == key) return;
            slot = (slot + 1) & mask;
        }
        keys[slot] = key;
        ranks[slot] = rank;
        results[slot] = result;
        size++;
    }

    /** Slot of the pair, or -1 if the pair never merges. */
    int find(int left, int right) {
        long key = key(left, right);
        int slot = slot(key);
        while (true) {
            long k = keys[slot];
            if (k == key) return slot;
            if (k == -1L) return -1;
            slot = (slot + 1) & mask;
        }
    }

    int rank(int slot) {
        return ranks[slot];
    }

    int result(int slot) {
        return results[slot];
    }

    int size() {
        return size;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 32) & mask;
    }
}
