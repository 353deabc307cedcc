package dev.qwen4j.cli;

import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/** Turns exceptions into the one line a user sees. */
final class Errors {
    private Errors() {
    }

    static String describe(Throwable ex) {
        return switch (ex) {
            case java.io.UncheckedIOException e -> describe(e.getCause()); // from streams (Files.list, …)
            case NoSuchFileException e -> "no such file: " + e.getFile();
            case AccessDeniedException e -> "permission denied: " + e.getFile();
            case OutOfMemoryError e -> "out of memory (" + e.getMessage() + "); try a smaller model, quant or --ctx";
            default -> {
                String m = ex.getMessage();
                yield m == null || m.isBlank() ? ex.getClass().getSimpleName() : m;
            }
        };
    }
}
