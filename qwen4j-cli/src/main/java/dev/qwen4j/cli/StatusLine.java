package dev.qwen4j.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Progress for slow steps on stderr: nothing at all if the step ends within {@code delayMillis}; after that a line
 * with the elapsed time, redrawn in place on a terminal (printed once otherwise, so logs stay clean).
 */
final class StatusLine implements AutoCloseable {
    static final boolean TERMINAL = System.console() != null && System.console().isTerminal();

    private final PrintWriter err;
    private final String label;
    private final long start = System.nanoTime();
    private final Thread ticker;
    private volatile String detail = "";
    private boolean shown;
    private boolean closed;

    private StatusLine(PrintWriter err, long delayMillis, String label) {
        this.err = err;
        this.label = label;
        this.ticker = Thread.ofPlatform().daemon().name("qwen4j-status").start(() -> {
            try {
                Thread.sleep(delayMillis);
                while (true) {
                    show();
                    if (!TERMINAL) return;
                    Thread.sleep(200);
                }
            } catch (InterruptedException e) {
                // finished
            }
        });
    }

    static StatusLine after(PrintWriter err, long delayMillis, String label) {
        return new StatusLine(err, delayMillis, label);
    }

    /** Extra text after the label (e.g. "512/2048 tokens"). */
    void detail(String text) {
        detail = text;
    }

    private synchronized void show() {
        if (closed) return;
        String line = String.format(Locale.ROOT, "%s… %s%.1f s", label, detail.isEmpty() ? "" : detail + ", ", seconds());
        err.print(TERMINAL ? "\r\033[K" + line : line + System.lineSeparator());
        err.flush();
        shown = true;
    }

    private double seconds() {
        return (System.nanoTime() - start) / 1e9;
    }

    /** Ends the status; if it was shown, replaces it with {@code message} and the total time. */
    synchronized void done(String message) {
        if (closed) return;
        closed = true;
        ticker.interrupt();
        if (shown) {
            String line = String.format(Locale.ROOT, "%s in %.1f s", message, seconds());
            err.print(TERMINAL ? "\r\033[K" + line + System.lineSeparator() : line + System.lineSeparator());
            err.flush();
        }
    }

    /** Ends the status without a message (the line is erased on a terminal). */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        ticker.interrupt();
        if (shown && TERMINAL) {
            err.print("\r\033[K");
            err.flush();
        }
    }
}
