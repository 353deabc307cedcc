package dev.qwen4j.chat;

import java.util.List;

import static dev.qwen4j.chat.TemplateText.IM_END;
import static dev.qwen4j.chat.TemplateText.IM_START;
import static dev.qwen4j.chat.TemplateText.turn;

/**
 * The Qwen2.5-Instruct template (QWEN_SPEC.md §6.3 "Qwen2.5 note"): a default system prompt when there is none,
 * JSON tool calls, no think blocks (reasoning is ignored, {@code enable_thinking} has no effect).
 */
final class Qwen25Template implements ChatTemplate {
    static final String DEFAULT_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";

    @Override
    public String render(List<ChatMessage> messages, List<ToolDefinition> tools, RenderOptions options) {
        StringBuilder out = new StringBuilder();
        boolean firstIsSystem = !messages.isEmpty() && messages.getFirst().role() == Role.SYSTEM;
        String system = firstIsSystem ? messages.getFirst().content() : DEFAULT_SYSTEM;
        out.append(IM_START).append("system\n").append(system);
        if (tools != null && !tools.isEmpty()) {
            out.append("\n\n").append(Qwen3Template.TOOLS_PREAMBLE);
            for (ToolDefinition t : tools) out.append('\n').append(TemplateText.toJson(t.toOpenAi()));
            out.append(Qwen3Template.TOOLS_EPILOGUE);
        }
        out.append(IM_END).append('\n');

        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            switch (m.role()) {
                case USER -> turn(out, "user", m.content());
                case SYSTEM -> {
                    if (i > 0) turn(out, "system", m.content());
                }
                case ASSISTANT -> {
                    if (m.toolCalls().isEmpty()) {
                        turn(out, "assistant", m.content());
                        break;
                    }
                    out.append(IM_START).append("assistant");
                    if (!m.content().isEmpty()) out.append('\n').append(m.content());
                    for (ToolCall call : m.toolCalls()) {
                        out.append('\n');
                        TemplateText.jsonToolCall(out, call);
                    }
                    out.append(IM_END).append('\n');
                }
                case TOOL -> TemplateText.toolResponse(out, messages, i, m.content(), true);
            }
        }
        if (options.addGenerationPrompt()) out.append(IM_START).append("assistant\n");
        return out.toString();
    }

    @Override
    public boolean thinksByDefault() {
        return false;
    }

    @Override
    public ToolCallFormat toolCallFormat() {
        return ToolCallFormat.JSON;
    }

    @Override
    public boolean promptOpensThinking(RenderOptions options) {
        return false;
    }

    @Override
    public String toString() {
        return "Qwen2.5";
    }
}
