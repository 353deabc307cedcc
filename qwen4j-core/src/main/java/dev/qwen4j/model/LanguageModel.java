package dev.qwen4j.model;

/**
 * A loaded model: immutable weights shared by any number of sessions, each with its own {@link ModelState}.
 * {@link #forward} may be called concurrently for different states (the weights are read-only; scratch buffers
 * live in the state).
 */
public interface LanguageModel extends AutoCloseable {

    /** {@code general.architecture}: qwen2, qwen3 or qwen35. */
    String architecture();

    int vocabSize();

    /** The context length the model was trained for (GGUF {@code <arch>.context_length}). */
    int trainedContextLength();

    /** Fresh state (empty KV cache, zero recurrent state) holding at most {@code contextSize} positions. */
    ModelState newState(int contextSize);

    /**
     * Feeds {@code count} tokens {@code tokens[offset ..]} at positions {@code state.position() ..} as one batch
     * (prompt) or a single token (decode), and advances the state. Writes the logits of the last token into
     * {@code logits[0 .. vocabSize)}; when {@code allLogits} is true, writes every token's logits instead,
     * token i at {@code logits[i·vocabSize ..]}. Throws {@link ContextOverflowException} if the tokens do not fit.
     */
    void forward(ModelState state, int[] tokens, int offset, int count, float[] logits, boolean allLogits);

    /** Whether the model carries its own draft head (the multi-token-prediction block of Qwen3.5 files that keep it). */
    default boolean hasDraftHead() {
        return false;
    }

    /**
     * Turns the draft head on for {@code state}: from then on every forward pass also runs the head's block over
     * its tokens (not its output head), so that {@link #draftNext} can guess ahead. Best called on an empty state:
     * the head attends only to the tokens it has seen. Returns false when the model has no draft head.
     */
    default boolean enableDraftHead(ModelState state) {
        return false;
    }

    /**
     * The draft head's greedy guess at the token after {@code next}, where {@code next} is the token that follows
     * the state's tokens (chosen, not yet fed); −1 when it cannot guess here (no head, not enabled, or the state
     * was rewound past what the head has seen since the last forward pass). Does not change what the model computes.
     */
    default int draftNext(ModelState state, int next) {
        return -1;
    }

    @Override
    void close();
}
