package dev.qwen4j.model;

/** A model file qwen4j cannot run: the message names the tensor or key and what was expected. */
public final class InvalidModelException extends RuntimeException {
    public InvalidModelException(String message) {
        super(message);
    }
}
