package dev.qwen4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

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
        cl.setOut(new PrintWriter(new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8), true));
        cl.setErr(new PrintWriter(new java.io.OutputStreamWriter(System.err, StandardCharsets.UTF_8), true));
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("qwen4j: " + Errors.describe(ex));
            if (verbose) ex.printStackTrace(cmd.getErr());
            return 1;
        });
        return cl.execute(args);
    }
}
