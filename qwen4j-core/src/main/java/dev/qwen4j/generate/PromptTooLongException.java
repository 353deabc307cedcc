package dev.qwen4j.generate;

/** A prompt that does not fit in the session's context. Prompts are never truncated silently. */
public final class PromptTooLongException extends RuntimeException {
    private final int promptTokens;
    private final int contextSize;

    public PromptTooLongException(int promptTokens, int contextSize) {
        super("the prompt is " + promptTokens + " tokens but the context holds " + contextSize
                + " (with room for at least one new token)");
        this.promptTokens = promptTokens;
        this.contextSize = contextSize;
    }

    public int promptTokens() {
        return promptTokens;
    }

    public int contextSize() {
        return contextSize;
    }
}
