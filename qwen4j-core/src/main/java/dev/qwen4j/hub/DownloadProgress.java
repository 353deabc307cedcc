package dev.qwen4j.hub;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Reports a download as it goes. {@link #console} draws a one-line bar (bytes, speed, ETA) redrawn with {@code \r}
 * on a terminal, and otherwise prints a plain line at each further 10% so logs stay short.
 */
public interface DownloadProgress {
    /** A download (or its resumption) begins; {@code total} is -1 when unknown. */
    void start(String name, long total, long alreadyHave);

    /** {@code done} bytes of the file are now on disk. */
    void update(long done);

    /** Extra information ("resuming", "verifying"), shown on its own line. */
    default void note(String message) {
    }

    /** The file is complete (or the attempt ended). */
    void finish();

    static DownloadProgress none() {
        return new DownloadProgress() {
            @Override
            public void start(String name, long total, long alreadyHave) {
            }

            @Override
            public void update(long done) {
            }

            @Override
            public void finish() {
            }
        };
    }

    /** Progress on {@code out}; a redrawn bar when {@code terminal}, quiet lines otherwise. */
    static DownloadProgress console(PrintWriter out, boolean terminal) {
        return new Console(out, terminal, System::nanoTime);
    }

    /** Console progress with an injected clock (nanoseconds), for tests. */
    static DownloadProgress console(PrintStream out, boolean terminal, LongSupplier nanoClock) {
        return new Console(new PrintWriter(out, true, StandardCharsets.UTF_8), terminal, nanoClock);
    }

    /** True when standard output is an interactive terminal, where a redrawn bar makes sense. */
    static boolean isTerminal() {
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    final class Console implements DownloadProgress {
        private static final long REDRAW_NANOS = 200_000_000L;
        private final PrintWriter out;
        private final boolean terminal;
        private final LongSupplier clock;
        private String name;
        private long total;
        private long startBytes;
        private long startNanos;
        private long lastDraw;
        private int lastDecile;
        private long done;
        private boolean active;

        Console(PrintWriter out, boolean terminal, LongSupplier clock) {
            this.out = out;
            this.terminal = terminal;
            this.clock = clock;
        }

        @Override
        public void start(String name, long total, long alreadyHave) {
            this.name = name;
            this.total = total;
            this.startBytes = alreadyHave;
            this.done = alreadyHave;
            this.startNanos = clock.getAsLong();
            this.lastDraw = Long.MIN_VALUE;
            this.lastDecile = total > 0 ? (int) (alreadyHave * 10 / total) : 0;
            this.active = true;
            if (!terminal) {
                if (alreadyHave > 0) {
                    out.println(String.format(Locale.ROOT, "resuming %s at %s%s", name, bytes(alreadyHave),
                            total > 0 ? " of " + bytes(total) : ""));
                } else {
                    out.println("downloading " + name + (total > 0 ? " (" + bytes(total) + ")" : ""));
                }
            } else {
                draw();
            }
        }

        @Override
        public void update(long done) {
            this.done = done;
            if (terminal) {
                long now = clock.getAsLong();
                if (now - lastDraw >= REDRAW_NANOS) draw();
            } else if (total > 0) {
                int decile = (int) Math.min(10, done * 10 / total);
                if (decile > lastDecile) {
                    lastDecile = decile;
                    out.println(String.format(Locale.ROOT, "  %s %3d%%  %s / %s  %s", name, decile * 10, bytes(done),
                            bytes(total), rate()));
                }
            }
        }

        @Override
        public void note(String message) {
            if (terminal && active) out.print("\r\033[K");
            out.println(message);
            if (terminal && active) draw();
        }

        @Override
        public void finish() {
            if (!active) return;
            active = false;
            if (terminal) {
                draw();
                out.println();
            }
            out.flush();
        }

        private void draw() {
            lastDraw = clock.getAsLong();
            StringBuilder sb = new StringBuilder("\r");
            sb.append(name).append(' ');
            if (total > 0) {
                int width = 30;
                int filled = (int) Math.min(width, done * width / total);
                sb.append('[').append("=".repeat(filled)).append(" ".repeat(width - filled)).append("] ");
                sb.append(String.format(Locale.ROOT, "%3d%% ", done * 100 / total));
            }
            sb.append(bytes(done));
            if (total > 0) sb.append(" / ").append(bytes(total));
            sb.append("  ").append(rate());
            if (total > 0) sb.append("  ETA ").append(eta());
            sb.append("\033[K");
            out.print(sb);
            out.flush();
        }

        private double bytesPerSecond() {
            double seconds = (clock.getAsLong() - startNanos) / 1e9;
            return seconds <= 0 ? 0 : (done - startBytes) / seconds;
        }

        private String rate() {
            double bps = bytesPerSecond();
            return bps <= 0 ? "-" : bytes((long) bps) + "/s";
        }

        private String eta() {
            double bps = bytesPerSecond();
            if (bps <= 0) return "--:--";
            long s = (long) Math.ceil((total - done) / bps);
            return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                    : String.format(Locale.ROOT, "%02d:%02d", s / 60, s % 60);
        }

        static String bytes(long n) {
            if (n < 0) return "?";
            if (n < 1024) return n + " B";
            if (n < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
            if (n < 1024L * 1024 * 1024) return String.format(Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024));
            return String.format(Locale.ROOT, "%.2f GiB", n / (1024.0 * 1024 * 1024));
        }
    }
}
