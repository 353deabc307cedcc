package dev.qwen4j.generate;

/** Why a generation ended. */
public enum FinishReason {
    /** The model ended its turn (an end-of-generation token) or a stop string appeared. */
    STOP("stop"),
    /** The maximum number of new tokens was reached. */
    LENGTH("length"),
    /** The context is full: no position left for another token. */
    CONTEXT_FULL("context_full"),
    /** Cancelled by the caller. */
    CANCELLED("cancelled"),
    /** The repetition-loop detector stopped a looping answer. */
    LOOP("loop");

    private final String wireName;

    FinishReason(String wireName) {
        this.wireName = wireName;
    }

    /** The lower-case name used in JSON output ("stop", "length", …). */
    public String wireName() {
        return wireName;
    }
}
