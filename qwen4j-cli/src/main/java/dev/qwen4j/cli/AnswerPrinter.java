package dev.qwen4j.cli;

import dev.qwen4j.generate.GenerationEvent;
import dev.qwen4j.json.Json;

import java.io.PrintWriter;
import java.util.function.Consumer;

/**
 * Streams an answer to the user as it is generated: text to stdout, reasoning where {@code --reasoning} says
 * (marked off by "[thinking]" … "[/thinking]" lines), tool calls as one JSON line each, and a progress line
 * while a long prompt is processed. When stdout goes away (a closed pipe), it stops the answer: nobody reads it.
 */
final class AnswerPrinter implements Consumer<GenerationEvent> {
    private final PrintWriter out;
    private final PrintWriter err;
    private final ReplyOptions.ReasoningOutput reasoning;
    private final Runnable stop;
    private boolean outputClosed;
    private StatusLine prompt;
    private boolean inReasoning;
    private boolean wroteText;
    private char lastText = '\n';
    private char lastReasoning = '\n';

    /** {@code stop} cancels the generation; it is called once if stdout is closed. */
    AnswerPrinter(PrintWriter out, PrintWriter err, ReplyOptions.ReasoningOutput reasoning, Runnable stop) {
        this.out = out;
        this.err = err;
        this.reasoning = reasoning;
        this.stop = stop;
    }

    /** Whether stdout was closed while answering (the answer was then stopped). */
    boolean outputClosed() {
        return outputClosed;
    }

    private void flushOut() {
        if (!outputClosed && out.checkError()) { // checkError flushes
            outputClosed = true;
            stop.run();
        }
    }

    @Override
    public void accept(GenerationEvent event) {
        switch (event) {
            case GenerationEvent.PromptProgress p -> {
                if (prompt == null && p.processed() < p.total()) prompt = StatusLine.after(err, 1000, "reading the prompt");
                if (prompt != null) {
                    prompt.detail(p.processed() + "/" + p.total() + " tokens");
                    if (p.processed() == p.total()) {
                        prompt.close();
                        prompt = null;
                    }
                }
            }
            case GenerationEvent.Reasoning r -> reasoning(r.text());
            case GenerationEvent.Text t -> {
                endReasoning();
                out.print(t.text());
                flushOut();
                wroteText = true;
                lastText = t.text().charAt(t.text().length() - 1);
            }
            case GenerationEvent.ToolCallEvent c -> {
                endReasoning();
                if (wroteText && lastText != '\n') out.println();
                out.println("[tool call] " + c.call().name() + " " + Json.write(c.call().arguments()));
                flushOut();
                wroteText = true;
                lastText = '\n';
            }
            case GenerationEvent.Done d -> {
                if (prompt != null) prompt.close();
                endReasoning();
            }
            case GenerationEvent.Token ignored -> {
            }
        }
    }

    private void reasoning(String text) {
        PrintWriter w = switch (reasoning) {
            case stderr -> err;
            case stdout -> out;
            case hide -> null;
        };
        if (w == null) return;
        if (!inReasoning) {
            w.println("[thinking]");
            inReasoning = true;
        }
        w.print(text);
        if (w == out) flushOut();
        else w.flush();
        lastReasoning = text.charAt(text.length() - 1);
    }

    private void endReasoning() {
        if (!inReasoning) return;
        PrintWriter w = reasoning == ReplyOptions.ReasoningOutput.stdout ? out : err;
        if (lastReasoning != '\n') w.println();
        w.println("[/thinking]");
        w.flush();
        inReasoning = false;
    }

    /** Ends the answer's line on stdout (if any text was printed). */
    void finishLine() {
        if (wroteText && lastText != '\n') {
            out.println();
            out.flush();
        }
        wroteText = false;
        lastText = '\n';
    }
}
