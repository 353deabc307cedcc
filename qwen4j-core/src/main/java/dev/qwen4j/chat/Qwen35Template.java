package dev.qwen4j.chat;

import java.util.List;
import java.util.Map;

import static dev.qwen4j.chat.TemplateText.IM_END;
import static dev.qwen4j.chat.TemplateText.IM_START;
import static dev.qwen4j.chat.TemplateText.strip;

/**
 * The official Qwen3.5 template (QWEN_SPEC.md §6.3): contents trimmed, tools before the system prompt, XML tool calls,
 * the think block always present after the last user query, and a size-dependent thinking default.
 */
final class Qwen35Template implements ChatTemplate {
    static final String TOOLS_HEADER = "# Tools\n\nYou have access to the following functions:\n\n<tools>";
    static final String TOOLS_INSTRUCTIONS = "\n</tools>\n\nIf you choose to call a function ONLY reply in the following format with NO suffix:\n\n"
            + "<tool_call>\n<function=example_function_name>\n<parameter=example_parameter_1>\nvalue_1\n</parameter>\n"
            + "<parameter=example_parameter_2>\nThis is the value for the second parameter\nthat can span\nmultiple lines\n"
            + "</parameter>\n</function>\n</tool_call>\n\n<IMPORTANT>\nReminder:\n"
            + "- Function calls MUST follow the specified format: an inner <function=...></function> block must be nested within <tool_call></tool_call> XML tags\n"
            + "- Required parameters MUST be specified\n"
            + "- You may provide optional reasoning for your function call in natural language BEFORE the function call, but NOT after\n"
            + "- If there is no function call available, answer the question like normal with your current knowledge and do not tell the user about function calls\n"
            + "</IMPORTANT>";

    private final boolean thinksByDefault;

    Qwen35Template(boolean thinksByDefault) {
        this.thinksByDefault = thinksByDefault;
    }

    @Override
    public String render(List<ChatMessage> messages, List<ToolDefinition> tools, RenderOptions options) {
        if (messages.isEmpty()) throw new IllegalArgumentException("No messages provided.");
        StringBuilder out = new StringBuilder();
        boolean firstIsSystem = messages.getFirst().role() == Role.SYSTEM;
        if (tools != null && !tools.isEmpty()) {
            out.append(IM_START).append("system\n").append(TOOLS_HEADER);
            for (ToolDefinition t : tools) out.append('\n').append(TemplateText.toJson(t.toOpenAi()));
            out.append(TOOLS_INSTRUCTIONS);
            if (firstIsSystem) {
                String system = strip(messages.getFirst().content());
                if (!system.isEmpty()) out.append("\n\n").append(system);
            }
            out.append(IM_END).append('\n');
        } else if (firstIsSystem) {
            out.append(IM_START).append("system\n").append(strip(messages.getFirst().content())).append(IM_END).append('\n');
        }

        int lastQuery = -1;
        for (int i = messages.size() - 1; i >= 0; i--) {
            ChatMessage m = messages.get(i);
            if (m.role() == Role.USER && !TemplateText.isToolResponseWrapper(strip(m.content()))) {
                lastQuery = i;
                break;
            }
        }
        if (lastQuery < 0) throw new IllegalArgumentException("No user query found in messages.");

        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            String content = strip(m.content());
            switch (m.role()) {
                case SYSTEM -> {
                    if (i > 0) throw new IllegalArgumentException("System message must be at the beginning.");
                }
                case USER -> TemplateText.turn(out, "user", content);
                case ASSISTANT -> {
                    String[] split = TemplateText.reasoningAndContent(m.reasoning(), content);
                    String reasoning = strip(split[0]);
                    content = split[1];
                    out.append(IM_START).append("assistant\n");
                    if (i > lastQuery) out.append("<think>\n").append(reasoning).append("\n</think>\n\n");
                    out.append(content);
                    List<ToolCall> calls = m.toolCalls();
                    for (int c = 0; c < calls.size(); c++) {
                        ToolCall call = calls.get(c);
                        if (c > 0) out.append('\n');
                        else if (!strip(content).isEmpty()) out.append("\n\n");
                        out.append("<tool_call>\n<function=").append(call.name()).append(">\n");
                        for (Map.Entry<String, Object> arg : call.arguments().entrySet()) {
                            out.append("<parameter=").append(arg.getKey()).append(">\n")
                                    .append(TemplateText.pythonStr(arg.getValue())).append("\n</parameter>\n");
                        }
                        out.append("</function>\n</tool_call>");
                    }
                    out.append(IM_END).append('\n');
                }
                // The official template opens the user turn only after a non-tool message ("loop.previtem").
                case TOOL -> TemplateText.toolResponse(out, messages, i, content, false);
            }
        }
        if (options.addGenerationPrompt()) {
            out.append(IM_START).append("assistant\n");
            out.append(thinking(options) ? "<think>\n" : "<think>\n\n</think>\n\n");
        }
        return out.toString();
    }

    private boolean thinking(RenderOptions options) {
        return options.enableThinking() == null ? thinksByDefault : options.enableThinking();
    }

    @Override
    public boolean thinksByDefault() {
        return thinksByDefault;
    }

    @Override
    public ToolCallFormat toolCallFormat() {
        return ToolCallFormat.XML;
    }

    @Override
    public boolean promptOpensThinking(RenderOptions options) {
        return options.addGenerationPrompt() && thinking(options);
    }

    @Override
    public String toString() {
        return "Qwen3.5 (thinking " + (thinksByDefault ? "on" : "off") + " by default)";
    }
}
