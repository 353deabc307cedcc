package dev.qwen4j.model;

/** The tokens do not fit in the state's context: never silently truncated. */
public final class ContextOverflowException extends RuntimeException {
    public ContextOverflowException(int position, int count, int capacity) {
        super("context is full: " + position + " tokens already in context + " + count + " new > context size " + capacity
                + " (a larger context or a shorter prompt is needed)");
    }
}
