package dev.qwen4j.json;

/** Malformed JSON text; the message names the problem and the character offset where it was found. */
public final class JsonException extends RuntimeException {
    private final int offset;

    public JsonException(String problem, int offset) {
        super(problem + " at offset " + offset);
        this.offset = offset;
    }

    /** Character offset in the input where parsing stopped. */
    public int offset() {
        return offset;
    }
}
