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

    @Override
    void close();
}
