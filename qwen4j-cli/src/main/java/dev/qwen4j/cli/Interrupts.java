package dev.qwen4j.cli;

import sun.misc.Signal;

/**
 * Ctrl-C handling: while an answer is being generated, Ctrl-C cancels it (the command goes on); otherwise it
 * exits as usual. One handler per process, installed by the command that generates.
 */
final class Interrupts {
    private static volatile Runnable onInterrupt;
    private static boolean installed;

    private Interrupts() {
    }

    static synchronized void install() {
        if (installed) return;
        installed = true;
        try {
            Signal.handle(new Signal("INT"), signal -> signal());
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // no SIGINT on this platform (or the JVM reserves it): Ctrl-C keeps its default behaviour
        }
    }

    /** Ctrl-C: cancels the running answer, or exits when there is none. */
    static void signal() {
        Runnable r = onInterrupt;
        if (r != null) {
            r.run();
        } else {
            System.exit(130);
        }
    }

    /** Runs {@code body} with Ctrl-C bound to {@code cancel}. */
    static <T> T whileGenerating(Runnable cancel, java.util.function.Supplier<T> body) {
        onInterrupt = cancel;
        try {
            return body.get();
        } finally {
            onInterrupt = null;
        }
    }
}
