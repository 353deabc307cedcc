package dev.qwen4j.chat;

import java.util.List;

import static dev.qwen4j.chat.TemplateText.IM_END;
import static dev.qwen4j.chat.TemplateText.IM_START;

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
            boolean last = i == messages.size() - 1;
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
                        out.append("\n<tool_call>\n{\"name\": \"").append(call.name()).append("\", \"arguments\": ")
                                .append(TemplateText.toJson(call.arguments())).append("}\n</tool_call>");
                    }
                    out.append(IM_END).append('\n');
                }
                case TOOL -> {
                    if (i == 0 || messages.get(i - 1).role() != Role.TOOL) out.append(IM_START).append("user");
                    out.append("\n<tool_response>\n").append(m.content()).append("\n</tool_response>");
                    if (last || messages.get(i + 1).role() != Role.TOOL) out.append(IM_END).append('\n');
                }
            }
        }
        if (options.addGenerationPrompt()) out.append(IM_START).append("assistant\n");
        return out.toString();
    }

    private static void turn(StringBuilder out, String role, String content) {
        out.append(IM_START).append(role).append('\n').append(content).append(IM_END).append('\n');
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
