package dev.qwen4j.cli;

import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * Where {@code qwen4j chat} reads the user's lines: JLine (editing, history, Ctrl-C handling) on a terminal, plain
 * stdin otherwise (pipes, tests).
 */
interface LineInput extends AutoCloseable {

    /** The next line, or null at the end of input. */
    String readLine(String prompt) throws IOException;

    @Override
    void close() throws IOException;

    static LineInput open(PrintWriter out, PrintWriter err) throws IOException {
        if (StatusLine.TERMINAL) {
            try {
                return new Editing(err);
            } catch (IOException | RuntimeException | LinkageError e) {
                // no usable terminal after all: fall back to plain lines
            }
        }
        return new Plain();
    }

    /** Lines from stdin, as they come. */
    final class Plain implements LineInput {
        private final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

        @Override
        public String readLine(String prompt) throws IOException {
            return in.readLine();
        }

        @Override
        public void close() {
        }
    }

    /** JLine on the system terminal. Ctrl-C while typing clears the line; Ctrl-C during an answer cancels it. */
    final class Editing implements LineInput {
        private final Terminal terminal;
        private final LineReader reader;
        private final PrintWriter err;

        Editing(PrintWriter err) throws IOException {
            this.err = err;
            this.terminal = TerminalBuilder.builder().system(true).build();
            // JLine takes over SIGINT: route it to whatever generation is running.
            terminal.handle(Terminal.Signal.INT, signal -> Interrupts.signal());
            this.reader = LineReaderBuilder.builder().terminal(terminal).appName("qwen4j").build();
        }

        @Override
        public String readLine(String prompt) {
            while (true) {
                try {
                    return reader.readLine(prompt);
                } catch (UserInterruptException e) {
                    err.println("(Ctrl-D or /exit quits)");
                    err.flush();
                } catch (EndOfFileException e) {
                    terminal.writer().println(); // Ctrl-D leaves the cursor after "> ": the shell's prompt goes below
                    terminal.flush();
                    return null;
                }
            }
        }

        @Override
        public void close() throws IOException {
            terminal.close();
        }
    }
}
