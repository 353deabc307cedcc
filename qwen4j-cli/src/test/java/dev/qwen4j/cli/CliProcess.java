package dev.qwen4j.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A real {@code qwen4j} JVM for end-to-end tests: stdin to write to, stdout and stderr collected as they come. */
final class CliProcess implements AutoCloseable {
    private final Process process;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Thread outReader;
    private final Thread errReader;

    private CliProcess(Process process) {
        this.process = process;
        this.outReader = pump(process.getInputStream(), out);
        this.errReader = pump(process.getErrorStream(), err);
    }

    static CliProcess start(String... args) throws IOException {
        return start(false, args);
    }

    /**
     * Starts the command; with {@code defaultSigint}, through a Perl one-liner that restores Ctrl-C's default
     * disposition first: a JVM started with SIGINT ignored (as background jobs of a non-interactive shell are)
     * cannot install a handler for it.
     */
    static CliProcess start(boolean defaultSigint, String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>();
        if (defaultSigint && new java.io.File("/usr/bin/perl").canExecute()) {
            command.addAll(List.of("/usr/bin/perl", "-e", "$SIG{INT} = 'DEFAULT'; exec @ARGV or die \"exec: $!\""));
        }
        command.addAll(List.of(java, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Xmx1g", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("HF_HUB_OFFLINE", "1");
        return new CliProcess(pb.start());
    }

    private static Thread pump(InputStream in, ByteArrayOutputStream sink) {
        return Thread.ofPlatform().daemon().start(() -> {
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    synchronized (sink) {
                        sink.write(buf, 0, n);
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        });
    }

    void write(String text) throws IOException {
        OutputStream in = process.getOutputStream();
        in.write(text.getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    void closeInput() throws IOException {
        process.getOutputStream().close();
    }

    String out() {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    /** Standard error without the JVM's incubator-module notice. */
    String err() {
        synchronized (err) {
            return err.toString(StandardCharsets.UTF_8).replaceFirst("WARNING: Using incubator modules: [^\\n]*\\n", "");
        }
    }

    long pid() {
        return process.pid();
    }

    /** Waits until {@code condition} holds for the output so far. */
    void awaitOutput(Predicate<String> condition, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.test(out())) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out; stdout: " + out() + "\nstderr: " + err());
            if (!process.isAlive()) {
                waitFor(5);
                throw new AssertionError("process ended with exit code " + process.exitValue() + "; stdout: " + out() + "\nstderr: " + err());
            }
            Thread.sleep(20);
        }
    }

    void interrupt() throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start().waitFor();
    }

    int waitFor(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("still running after " + seconds + " s; stdout: " + out() + "\nstderr: " + err());
        }
        outReader.join(5000);
        errReader.join(5000);
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) process.destroyForcibly();
    }
}
