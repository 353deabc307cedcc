package dev.qwen4j.generate;

import dev.qwen4j.chat.ChatTemplate.ToolCallFormat;
import dev.qwen4j.chat.OutputParser;
import dev.qwen4j.chat.ParsedOutput;
import dev.qwen4j.chat.ToolCall;
import dev.qwen4j.chat.ToolDefinition;

import java.util.List;

/**
 * Reads the text between {@code <tool_call>} and {@code </tool_call>} with the chat package's
 * {@link OutputParser} (QWEN_SPEC.md §6.5): JSON calls (Qwen2.5/Qwen3) or Qwen3.5's XML form, whose values
 * are typed by the tools' JSON schemas. Returns null when the text is not exactly one call, which then stays
 * visible as answer text.
 */
final class ToolCallReader implements OutputRouter.ToolCallParser {
    private final ToolCallFormat format;
    private final List<ToolDefinition> tools;

    ToolCallReader(ToolCallFormat format, List<ToolDefinition> tools) {
        this.format = format;
        this.tools = List.copyOf(tools);
    }

    @Override
    public ToolCall parse(String raw) {
        ParsedOutput parsed = OutputParser.parse("<tool_call>" + raw + "</tool_call>", format, tools, false);
        return parsed.toolCalls().size() == 1 && parsed.content().isBlank() ? parsed.toolCalls().getFirst() : null;
    }
}
