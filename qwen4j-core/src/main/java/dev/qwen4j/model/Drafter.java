package dev.qwen4j.model;

/**
 * Where speculative decoding's drafts come from: n-gram lookup in the text ({@link PromptLookup}), or the model's
 * own draft head ({@link #draftHead}). A draft is only a guess; the main model verifies every drafted token.
 */
public interface Drafter {

    /**
     * Up to {@code max} tokens guessed to follow {@code text[0 .. length)}, written to {@code draft}; returns how
     * many (0: no guess). {@code state} holds every token of the text but the last, which comes next.
     */
    int draft(ModelState state, int[] text, int length, int max, int[] draft);

    /**
     * The model's draft head (Qwen3.5 MTP, {@link LanguageModel#draftNext}): one guess per pass. The state must
     * have the head enabled ({@link LanguageModel#enableDraftHead}), best before its prompt.
     */
    static Drafter draftHead(LanguageModel model) {
        if (!model.hasDraftHead()) throw new IllegalArgumentException("this model has no draft head (no MTP block in its file)");
        return (state, text, length, max, draft) -> {
            if (max < 1 || draft.length < 1) return 0;
            int guess = model.draftNext(state, text[length - 1]);
            if (guess < 0) return 0;
            draft[0] = guess;
            return 1;
        };
    }
}
