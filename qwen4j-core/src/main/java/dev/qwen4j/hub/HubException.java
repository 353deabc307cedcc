package dev.qwen4j.hub;

import java.io.IOException;

/**
 * A download or cache problem, with a message a user can act on ("401 from huggingface.co: set HF_TOKEN …").
 * {@link #isTransient()} tells the retry loop whether trying again could help (network cut, 5xx) or not (401, 404,
 * checksum mismatch).
 */
public final class HubException extends IOException {
    private final boolean transientFailure;

    public HubException(String message) {
        this(message, false, null);
    }

    public HubException(String message, boolean transientFailure, Throwable cause) {
        super(message, cause);
        this.transientFailure = transientFailure;
    }

    public boolean isTransient() {
        return transientFailure;
    }
}
