package dev.qwen4j.chat;

import java.util.List;

/**
 * What an assistant turn contained, as recovered by {@link OutputParser}.
 *
 * @param reasoning text of the think block ("" if none), newlines around it stripped
 * @param content   the visible answer (malformed tool calls appear here as their raw text)
 * @param toolCalls well-formed (or repaired) tool calls in output order
 * @param problems  what had to be tolerated (stray tags, unterminated or malformed calls); empty for clean output
 * @param raw       the full text the parser was fed
 */
public record ParsedOutput(String reasoning, String content, List<ToolCall> toolCalls, List<String> problems, String raw) {
    public ParsedOutput {
        toolCalls = List.copyOf(toolCalls);
        problems = List.copyOf(problems);
    }

    /** The assistant message to append to the conversation (QWEN_SPEC.md §6.5 rule 5). */
    public ChatMessage toMessage() {
        return ChatMessage.assistant(content, reasoning.isEmpty() ? null : reasoning, toolCalls);
    }
}
