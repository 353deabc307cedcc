package dev.qwen4j.convert;

import java.io.IOException;

/** A Hugging Face checkpoint (safetensors file, index, config or tokenizer) that cannot be read; the message names the file. */
public final class CheckpointException extends IOException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
