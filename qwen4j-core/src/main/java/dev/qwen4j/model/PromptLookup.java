package dev.qwen4j.model;

/**
 * Draft tokens by prompt lookup: find the latest earlier occurrence of the text's last n tokens (n from
 * {@code maxNgram} down to {@code minNgram}) and propose the tokens that followed it. Free to compute and
 * right surprisingly often when the answer quotes or edits its input (code, summaries, repetitive text).
 */
public record PromptLookup(int minNgram, int maxNgram) implements Drafter {

    public PromptLookup {
        if (minNgram < 1 || maxNgram < minNgram) {
            throw new IllegalArgumentException("n-gram sizes must satisfy 1 ≤ min ≤ max, got " + minNgram + ".." + maxNgram);
        }
    }

    /** llama.cpp's prompt-lookup defaults: n-grams of 1 to 3 tokens. */
    public static PromptLookup defaults() {
        return new PromptLookup(1, 3);
    }

    /**
     * {@code max} tokens continuing {@code tokens[0 .. length)}, written to {@code draft}; returns how many: 0
     * when the last n-gram never occurred before, else {@code min(max, draft.length)}.
     */
    public int draft(int[] tokens, int length, int max, int[] draft) {
        max = Math.min(max, draft.length);
        if (max <= 0) return 0;
        for (int n = Math.min(maxNgram, length - 1); n >= minNgram; n--) {
            int suffix = length - n;
            // latest match first: recent context predicts the continuation best
            for (int start = suffix - 1; start >= 0; start--) {
                if (matches(tokens, start, suffix, n)) {
                    // Copy what followed, running on into the draft itself when the match overlaps the end
                    // (periodic text: "a b a b a b" drafts "a b a b ..."), as an LZ77 back-reference does.
                    int from = start + n;
                    for (int i = 0; i < max; i++) {
                        int at = from + i;
                        draft[i] = at < length ? tokens[at] : draft[at - length];
                    }
                    return max;
                }
            }
        }
        return 0;
    }

    @Override
    public int draft(ModelState state, int[] text, int length, int max, int[] draft) {
        return draft(text, length, max, draft);
    }

    private static boolean matches(int[] tokens, int a, int b, int n) {
        for (int i = 0; i < n; i++) {
            if (tokens[a + i] != tokens[b + i]) return false;
        }
        return true;
    }
}
