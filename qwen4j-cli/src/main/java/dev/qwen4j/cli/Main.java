package dev.qwen4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/** Entry point of the {@code qwen4j} command. Every error reaches the user as one clear line (trace with --verbose). */
// scope INHERIT: every subcommand takes --help and --version too (qwen4j run --help).
@Command(name = "qwen4j", mixinStandardHelpOptions = true, version = "qwen4j 0.1.0", scope = CommandLine.ScopeType.INHERIT,
        description = "Run Qwen models on this device.",
        subcommands = {
                RunCommand.class,
                ChatCommand.class,
                InspectCommand.class,
                LogitsCommand.class,
                TokenizeCommand.class,
                PullCommand.class,
                ListCommand.class,
                ShowCommand.class,
                RmCommand.class,
                BenchCommand.class,
                QuantizeCommand.class,
        })
public final class Main implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit code (tests call this in-process). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setOut(new PrintWriter(new java.io.OutputStreamWriter(stdout(), StandardCharsets.UTF_8), true));
        cl.setErr(new PrintWriter(new java.io.OutputStreamWriter(System.err, StandardCharsets.UTF_8), true));
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("qwen4j: " + Errors.describe(ex));
            if (verbose) ex.printStackTrace(cmd.getErr());
            return 1;
        });
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError | StackOverflowError e) { // Errors pass picocli's handler, which takes Exceptions
            cl.getErr().println("qwen4j: " + Errors.describe(e));
            if (verbose) e.printStackTrace(cl.getErr());
            cl.getErr().flush();
            return 1;
        }
    }

    /**
     * System.out as a stream whose failures reach the writer on top (its checkError): System.out, a PrintStream, only
     * records them, so a closed pipe ({@code qwen4j run … | head -1}) would otherwise go unnoticed.
     */
    private static OutputStream stdout() {
        PrintStream s = System.out;
        return new FilterOutputStream(s) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                s.write(b, off, len);
                if (s.checkError()) throw new IOException("stdout is closed");
            }

            @Override
            public void flush() throws IOException {
                s.flush();
                if (s.checkError()) throw new IOException("stdout is closed");
            }
        };
    }
}
