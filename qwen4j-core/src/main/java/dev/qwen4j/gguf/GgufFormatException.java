package dev.qwen4j.gguf;

import java.io.IOException;

/** A GGUF file that cannot be used: the message names the problem and, where it has one, the byte offset. */
public final class GgufFormatException extends IOException {
    private final long offset;

    public GgufFormatException(String message, long offset) {
        super(offset >= 0 ? message + " (at byte " + offset + ")" : message);
        this.offset = offset;
    }

    /** The byte offset the problem was found at, or -1 when it concerns the file as a whole. */
    public long offset() {
        return offset;
    }
}
