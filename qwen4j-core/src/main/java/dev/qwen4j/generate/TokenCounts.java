package dev.qwen4j.generate;

import java.util.Arrays;

/**
 * How often each token occurs among the latest {@code window} tokens added (all of them when window ≤ 0), kept up
 * to date in O(1) per token, with the list of distinct ids at hand so that applying a penalty costs
 * O(distinct tokens) instead of O(tokens so far).
 */
final class TokenCounts {
    private final int window;
    private final int[] counts;
    private int[] history = new int[64];
    private int length;
    private int[] distinct = new int[64];
    private int distinctCount;

    TokenCounts(int vocabSize, int window) {
        this.window = window;
        this.counts = new int[vocabSize];
    }

    int length() {
        return length;
    }

    void add(int token) {
        if (token < 0 || token >= counts.length) return;
        if (length == history.length) history = Arrays.copyOf(history, length * 2);
        history[length++] = token;
        if (counts[token]++ == 0) {
            if (distinctCount == distinct.length) compact();
            if (distinctCount == distinct.length) distinct = Arrays.copyOf(distinct, distinctCount * 2);
            distinct[distinctCount++] = token;
        }
        if (window > 0 && length > window) counts[history[length - window - 1]]--;
    }

    void clear() {
        for (int i = 0; i < distinctCount; i++) counts[distinct[i]] = 0;
        distinctCount = 0;
        length = 0;
    }

    /** Calls {@code action} once for every token with a count above zero. */
    void forEach(java.util.function.IntBinaryOperator action) {
        compact();
        for (int i = 0; i < distinctCount; i++) action.applyAsInt(distinct[i], counts[distinct[i]]);
    }

    /** Drops ids whose count fell to zero (they left the window); an id is listed at most once. */
    private void compact() {
        int n = 0;
        for (int i = 0; i < distinctCount; i++) {
            int t = distinct[i];
            if (counts[t] > 0) {
                distinct[n++] = t;
            } else {
                counts[t] = 0;
            }
        }
        distinctCount = n;
    }
}
