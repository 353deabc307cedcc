package dev.qwen4j.gguf;

import java.io.IOException;

/** A GGUF file that cannot be used: the message names the problem and, where it has one, the byte offset. */
public final class GgufFormatException extends IOException {
    private final String problem;
    private final long offset;

    public GgufFormatException(String problem, long offset) {
        super(offset >= 0 ? problem + " (at byte " + offset + ")" : problem);
        this.problem = problem;
        this.offset = offset;
    }

    /** The problem without the byte offset. */
    public String problem() {
        return problem;
    }

    /** The byte offset the problem was found at, or -1 when it concerns the file as a whole. */
    public long offset() {
        return offset;
    }

    /** The same problem, its message prefixed with the file it was found in. */
    GgufFormatException inFile(String file) {
        if (problem.startsWith(file + ": ")) return this;
        GgufFormatException e = new GgufFormatException(file + ": " + problem, offset);
        e.setStackTrace(getStackTrace());
        return e;
    }
}
