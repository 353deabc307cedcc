package dev.qwen4j.cli;

import dev.qwen4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code qwen4j inspect} in a real JVM: what a user's terminal sees on stdout and stderr, and the exit code. */
class InspectProcessTest {
    /** The JVM's own notice about incubator modules, printed before main() runs (bin/qwen4j filters it). */
    private static final String INCUBATOR_NOTICE = "WARNING: Using incubator modules: jdk.incubator.vector";

    record Result(int exitCode, List<String> out, List<String> err) {
    }

    static Result qwen4j(String... args) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> command = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().close();
        // Read both streams concurrently so neither pipe can fill up and block the child.
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        String out = readAll(p.getInputStream());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "qwen4j did not exit");
        List<String> errLines = err.join().lines().filter(l -> !l.equals(INCUBATOR_NOTICE)).toList();
        return new Result(p.exitValue(), out.lines().toList(), errLines);
    }

    private static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void inspectPrintsOnlyTheReportOnStdoutAndNothingElseOnStderr() throws Exception {
        Result r = qwen4j("inspect", Fixtures.model("qwen3-micro-Q8_0.gguf").toString());
        assertEquals(0, r.exitCode, String.join("\n", r.err));
        assertEquals(List.of(), r.err);
        assertTrue(r.out.get(0).startsWith("file:"), r.out.get(0));
        assertTrue(r.out.contains("architecture:  qwen3"), String.join("\n", r.out));
        assertTrue(r.out.stream().noneMatch(l -> l.contains("WARNING") || l.contains("Exception")), String.join("\n", r.out));
    }

    @Test
    void missingFileExitsNonZeroWithOneLineOnStderr(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("missing.gguf");
        Result r = qwen4j("inspect", missing.toString());
        assertNotEquals(0, r.exitCode);
        assertEquals(List.of(), r.out);
        assertEquals(List.of("qwen4j: no such file: " + missing), r.err);
    }
}
