package dev.qwen4j.generate;

import dev.qwen4j.chat.ToolCall;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Sorts generated tokens into reasoning, answer text and tool calls, and streams each as events
 * (QWEN_SPEC.md §6.5): text inside {@code <think>…</think>} is reasoning (newlines at its edges dropped), the
 * answer after it loses its leading newlines, {@code <tool_call>…</tool_call>} regions become {@link ToolCall}s,
 * and stop strings cut the answer. Think and tool-call tags are single added tokens, so this works on ids.
 */
final class OutputRouter {
    /** Turns the text between the tool-call tags into a call; null when it cannot (the text then stays visible). */
    interface ToolCallParser {
        ToolCall parse(String raw);
    }

    private final Consumer<GenerationEvent> listener;
    private final StopStrings stops;
    private final ToolCallParser toolCallParser;
    private final boolean parseThinking;
    private final int thinkStart;
    private final int thinkEnd;
    private final int toolCallStart;
    private final int toolCallEnd;
    private final Vocabulary vocab;

    private final StringBuilder text = new StringBuilder();
    private final StringBuilder reasoning = new StringBuilder();
    private final List<ToolCall> toolCalls = new ArrayList<>();

    private Utf8Stream utf8 = new Utf8Stream();
    private boolean thinking;
    private int reasoningTokens;
    /** Newlines are dropped at the start of reasoning and of an answer that follows a think block. */
    private boolean dropLeadingNewlines;
    /** Newlines at the end of reasoning are held until more reasoning follows (dropped at {@code </think>}). */
    private final StringBuilder heldNewlines = new StringBuilder();
    /** Inside a tool call: its text is collected, not shown. */
    private StringBuilder toolCall;

    OutputRouter(Vocabulary vocab, boolean parseThinking, boolean startsInThinking, List<String> stopStrings,
                 ToolCallParser toolCallParser, Consumer<GenerationEvent> listener) {
        this.vocab = vocab;
        this.listener = listener;
        this.stops = new StopStrings(stopStrings);
        this.toolCallParser = toolCallParser;
        this.parseThinking = parseThinking;
        this.thinkStart = parseThinking ? vocab.specialToken("<think>") : -1;
        this.thinkEnd = parseThinking ? vocab.specialToken("</think>") : -1;
        this.toolCallStart = toolCallParser != null ? vocab.specialToken("<tool_call>") : -1;
        this.toolCallEnd = toolCallParser != null ? vocab.specialToken("</tool_call>") : -1;
        this.thinking = parseThinking && startsInThinking;
        this.dropLeadingNewlines = thinking;
    }

    /**
     * Whether a prompt leaves the model inside a think block: the last think tag of the final turn is an opening
     * one (Qwen3.5's generation prompt with thinking on ends {@code <think>\n}).
     */
    static boolean promptEndsInThinking(int[] prompt, Vocabulary vocab) {
        int open = vocab.specialToken("<think>");
        int close = vocab.specialToken("</think>");
        int turn = vocab.specialToken("<|im_start|>");
        if (open < 0) return false;
        for (int i = prompt.length - 1; i >= 0; i--) {
            int t = prompt[i];
            if (t == open) return true;
            if (t == close || t == turn) return false;
        }
        return false;
    }

    boolean thinking() {
        return thinking;
    }

    int reasoningTokens() {
        return reasoningTokens;
    }

    /** A stop string appeared: the answer is complete. */
    boolean stopped() {
        return stops.matched();
    }

    void accept(int token) {
        if (token == thinkStart && !thinking && text.isEmpty()) {
            switchTo(true);
            return;
        }
        if (token == thinkEnd && thinking) {
            switchTo(false);
            return;
        }
        if (thinking) {
            reasoningTokens++;
            reasoning(utf8.push(vocab.bytes(token)));
            return;
        }
        if (token == toolCallStart && toolCall == null) {
            flushUtf8();
            toolCall = new StringBuilder();
            return;
        }
        if (token == toolCallEnd && toolCall != null) {
            toolCall.append(utf8.flush());
            finishToolCall();
            return;
        }
        answer(utf8.push(vocab.bytes(token)));
    }

    /** The end of generation: releases held text. */
    void finish() {
        flushUtf8();
        if (toolCall != null) { // never closed: show what the model wrote
            String raw = toolCall.toString();
            toolCall = null;
            answer("<tool_call>" + raw);
        }
        if (!thinking) emitText(stops.flush());
        heldNewlines.setLength(0);
    }

    String text() {
        return text.toString();
    }

    String reasoning() {
        return reasoning.toString();
    }

    List<ToolCall> toolCalls() {
        return List.copyOf(toolCalls);
    }

    private void switchTo(boolean nowThinking) {
        flushUtf8();
        heldNewlines.setLength(0);
        thinking = nowThinking;
        dropLeadingNewlines = true;
    }

    private void flushUtf8() {
        String rest = utf8.flush();
        if (rest.isEmpty()) return;
        if (thinking) reasoning(rest);
        else if (toolCall != null) toolCall.append(rest);
        else answer(rest);
    }

    private void reasoning(String s) {
        s = dropLeading(s);
        if (s.isEmpty()) return;
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == '\n') end--;
        String out = heldNewlines + s.substring(0, end);
        heldNewlines.setLength(0);
        heldNewlines.append(s, end, s.length());
        if (out.isEmpty()) return;
        reasoning.append(out);
        listener.accept(new GenerationEvent.Reasoning(out));
    }

    private void answer(String s) {
        if (toolCall != null) {
            toolCall.append(s);
            return;
        }
        s = dropLeading(s);
        if (s.isEmpty()) return;
        emitText(stops.push(s));
    }

    private void emitText(String s) {
        if (s.isEmpty()) return;
        text.append(s);
        listener.accept(new GenerationEvent.Text(s));
    }

    private String dropLeading(String s) {
        if (!dropLeadingNewlines) return s;
        int i = 0;
        while (i < s.length() && s.charAt(i) == '\n') i++;
        if (i < s.length()) dropLeadingNewlines = false;
        return s.substring(i);
    }

    private void finishToolCall() {
        String raw = toolCall.toString();
        toolCall = null;
        ToolCall call = toolCallParser.parse(raw);
        if (call == null) {
            answer("<tool_call>" + raw + "</tool_call>");
            return;
        }
        toolCalls.add(call);
        listener.accept(new GenerationEvent.ToolCallEvent(call));
    }
}
