package dev.qwen4j.gguf;

import dev.qwen4j.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A JVM killed while writing a GGUF (Ctrl-C during qwen4j quantize) leaves no partial file behind. */
class GgufWriterInterruptTest {

    /** Writes a GGUF whose tensor data never ends; says "writing" once the partial file exists. */
    public static void main(String[] args) throws Exception {
        new GgufWriter().putString("general.architecture", "qwen3")
                .addTensor("t", GgmlType.F32, new long[]{4}, out -> {
                    out.write(new byte[8]);
                    System.out.println("writing");
                    System.out.flush();
                    try {
                        Thread.sleep(Long.MAX_VALUE);
                    } catch (InterruptedException e) {
                        throw new java.io.InterruptedIOException();
                    }
                })
                .write(Path.of(args[0]));
    }

    @Test
    void aKilledWriteRemovesItsPartialFile(@TempDir Path dir) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), GgufWriterInterruptTest.class.getName(),
                dir.resolve("model.gguf").toString()).redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("writing", out.readLine());
            try (var files = Files.list(dir)) {
                assertTrue(files.anyMatch(f -> f.getFileName().toString().endsWith(".part")), "the partial file exists while writing");
            }
            p.destroy(); // SIGTERM, as Ctrl-C: the JVM runs its shutdown hooks
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        } finally {
            p.destroyForcibly();
        }
        try (var files = Files.list(dir)) {
            assertEquals(List.of(), files.toList());
        }
    }
}
