package dev.qwen4j.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates ../shared/fixtures (QWEN_SPEC.md test data and llama.cpp references): the folder {@code shared} beside
 * the repository root, or wherever {@code QWEN4J_SHARED} / {@code -Dqwen4j.shared} points. Missing fixtures fail
 * the test — they are never a reason to skip.
 */
public final class Fixtures {
    private Fixtures() {
    }

    public static Path shared() {
        String configured = System.getProperty("qwen4j.shared", System.getenv("QWEN4J_SHARED"));
        if (configured != null) return Path.of(configured);
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            Path candidate = d.resolveSibling("shared");
            if (Files.isDirectory(candidate.resolve("fixtures"))) return candidate;
        }
        throw new IllegalStateException("cannot find the shared fixtures folder (../shared/fixtures beside the repository);"
                + " set QWEN4J_SHARED");
    }

    public static Path fixtures() {
        return shared().resolve("fixtures");
    }

    public static Path model(String fileName) {
        return fixtures().resolve("models").resolve(fileName);
    }

    public static Path refs(String fileName) {
        return fixtures().resolve("refs").resolve(fileName);
    }

    public static Path tokenizer(String fileName) {
        return fixtures().resolve("tokenizer").resolve(fileName);
    }

    public static Path quant(String fileName) {
        return fixtures().resolve("quant").resolve(fileName);
    }

    public static Path spec() {
        return shared().resolve("docs").resolve("QWEN_SPEC.md");
    }
}
