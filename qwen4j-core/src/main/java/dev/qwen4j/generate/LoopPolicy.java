package dev.qwen4j.generate;

/** What to do when the repetition-loop detector fires. */
public enum LoopPolicy {
    /** Do not look for loops. */
    OFF,
    /** End the generation (finish reason {@link FinishReason#LOOP}). */
    STOP,
    /** Inside a think block, close it so the model answers; a loop in the answer itself ends the generation. */
    CLOSE_THINKING
}
