package dev.qwen4j.cli;

import org.junit.jupiter.api.Test;

import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ErrorsTest {
    @Test
    void wrappedIoErrorsReadLikeTheirCause() {
        // UncheckedIOException's own message would start with "java.nio.file.NoSuchFileException: "
        assertEquals("no such file: /x", Errors.describe(new UncheckedIOException(new NoSuchFileException("/x"))));
        assertEquals("IllegalStateException", Errors.describe(new IllegalStateException()));
        assertEquals("bad", Errors.describe(new IllegalArgumentException("bad")));
    }
}
