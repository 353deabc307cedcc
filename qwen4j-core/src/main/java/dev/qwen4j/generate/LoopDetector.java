package dev.qwen4j.generate;

/**
 * Notices when generation has fallen into a loop: the latest tokens are one block of {@code period} tokens
 * repeated again and again (small models in thinking mode are prone to this, QWEN_SPEC.md §6.5). For each
 * period p ≤ maxPeriod it keeps the length of the current run where token[i] = token[i−p]; a loop is a run
 * covering {@code minRepeats} copies of the block and at least {@code minTokens} tokens. O(maxPeriod) per token.
 */
public final class LoopDetector {
    private final int maxPeriod;
    private final int minRepeats;
    private final int minTokens;
    private final int[] history;
    private final int[] run;
    private long count;

    /**
     * @param maxPeriod  the longest repeated block looked for, in tokens
     * @param minRepeats how many copies of the block make a loop (≥ 2)
     * @param minTokens  the least number of tokens a loop spans (short repeats such as "====" are not loops)
     */
    public LoopDetector(int maxPeriod, int minRepeats, int minTokens) {
        if (maxPeriod < 1 || minRepeats < 2) throw new IllegalArgumentException("maxPeriod ≥ 1 and minRepeats ≥ 2 needed");
        this.maxPeriod = maxPeriod;
        this.minRepeats = minRepeats;
        this.minTokens = minTokens;
        this.history = new int[maxPeriod + 1];
        this.run = new int[maxPeriod + 1];
    }

    /** Defaults that catch thinking loops without firing on ordinary lists or code. */
    public static LoopDetector standard() {
        return new LoopDetector(200, 4, 64);
    }

    /** Adds a token; returns the period of the loop it completes, or 0. */
    public int accept(int token) {
        int found = 0;
        for (int p = 1; p <= maxPeriod; p++) {
            if (count >= p && history[(int) ((count - p) % history.length)] == token) {
                run[p]++;
                // run[p] matching tokens + the first block of p tokens = the span of the repeat
                if (found == 0 && run[p] >= (long) (minRepeats - 1) * p && run[p] + p >= minTokens) found = p;
            } else {
                run[p] = 0;
            }
        }
        history[(int) (count % history.length)] = token;
        count++;
        return found;
    }

    /** Forgets everything (e.g. after the loop was broken by closing the think block). */
    public void reset() {
        count = 0;
        java.util.Arrays.fill(run, 0);
    }
}
