package dev.qwen4j.chat;

import java.util.List;

import static dev.qwen4j.chat.TemplateText.IM_END;
import static dev.qwen4j.chat.TemplateText.IM_START;
import static dev.qwen4j.chat.TemplateText.stripChar;
import static dev.qwen4j.chat.TemplateText.turn;

/** The official Qwen3 template (QWEN_SPEC.md §6.2): JSON tool calls, reasoning kept only after the last user query. */
final class Qwen3Template implements ChatTemplate {
    static final String TOOLS_PREAMBLE = "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
            + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>";
    static final String TOOLS_EPILOGUE = "\n</tools>\n\nFor each function call, return a json object with function name and "
            + "arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
            + "<args-json-object>}\n</tool_call>";

    @Override
    public String render(List<ChatMessage> messages, List<ToolDefinition> tools, RenderOptions options) {
        StringBuilder out = new StringBuilder();
        boolean firstIsSystem = !messages.isEmpty() && messages.getFirst().role() == Role.SYSTEM;
        if (tools != null && !tools.isEmpty()) {
            out.append(IM_START).append("system\n");
            if (firstIsSystem) out.append(messages.getFirst().content()).append("\n\n");
            out.append(TOOLS_PREAMBLE);
            for (ToolDefinition t : tools) out.append('\n').append(TemplateText.toJson(t.toOpenAi()));
            out.append(TOOLS_EPILOGUE).append(IM_END).append('\n');
        } else if (firstIsSystem) {
            out.append(IM_START).append("system\n").append(messages.getFirst().content()).append(IM_END).append('\n');
        }

        int lastQuery = messages.size() - 1;
        for (int i = messages.size() - 1; i >= 0; i--) {
            ChatMessage m = messages.get(i);
            if (m.role() == Role.USER && !TemplateText.isToolResponseWrapper(m.content())) {
                lastQuery = i;
                break;
            }
        }

        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            boolean last = i == messages.size() - 1;
            switch (m.role()) {
                case USER -> turn(out, "user", m.content());
                case SYSTEM -> {
                    if (i > 0) turn(out, "system", m.content());
                }
                case ASSISTANT -> {
                    String[] split = TemplateText.reasoningAndContent(m.reasoning(), m.content());
                    String reasoning = split[0];
                    String content = split[1];
                    out.append(IM_START).append("assistant\n");
                    if (i > lastQuery && (last || !reasoning.isEmpty())) {
                        out.append("<think>\n").append(stripChar(reasoning, '\n', true, true)).append("\n</think>\n\n")
                                .append(stripChar(content, '\n', true, false));
                    } else {
                        out.append(content);
                    }
                    for (int c = 0; c < m.toolCalls().size(); c++) {
                        ToolCall call = m.toolCalls().get(c);
                        if (c > 0 || !content.isEmpty()) out.append('\n');
                        TemplateText.jsonToolCall(out, call);
                    }
                    out.append(IM_END).append('\n');
                }
                case TOOL -> TemplateText.toolResponse(out, messages, i, m.content(), true);
            }
        }
        if (options.addGenerationPrompt()) {
            out.append(IM_START).append("assistant\n");
            if (Boolean.FALSE.equals(options.enableThinking())) out.append("<think>\n\n</think>\n\n");
        }
        return out.toString();
    }

    @Override
    public boolean thinksByDefault() {
        return true;
    }

    @Override
    public ToolCallFormat toolCallFormat() {
        return ToolCallFormat.JSON;
    }

    /** Qwen3 opens {@code <think>} itself in its output; the prompt never does. */
    @Override
    public boolean promptOpensThinking(RenderOptions options) {
        return false;
    }

    @Override
    public String toString() {
        return "Qwen3";
    }
}
