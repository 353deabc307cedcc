package dev.qwen4j.chat;

import dev.qwen4j.json.Json;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/** The bits of Python/Jinja semantics the official templates rely on (QWEN_SPEC.md §6, §6.3 rule 5). */
final class TemplateText {
    static final String IM_START = "<|im_start|>";
    static final String IM_END = "<|im_end|>";

    private TemplateText() {
    }

    /** Jinja {@code |trim} = Python {@code str.strip()}: strips characters for which Python's {@code isspace()} holds. */
    static String strip(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && isPythonSpace(s.charAt(from))) from++;
        while (to > from && isPythonSpace(s.charAt(to - 1))) to--;
        return s.substring(from, to);
    }

    static boolean isPythonSpace(char c) {
        return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
    }

    /** Python {@code s.strip(ch)} / {@code lstrip} / {@code rstrip} for one character. */
    static String stripChar(String s, char c, boolean left, boolean right) {
        int from = 0;
        int to = s.length();
        if (left) while (from < to && s.charAt(from) == c) from++;
        if (right) while (to > from && s.charAt(to - 1) == c) to--;
        return s.substring(from, to);
    }

    /** Jinja {@code tojson} as configured by transformers: Python {@code json.dumps(x, ensure_ascii=False)}. */
    static String toJson(Object value) {
        return Json.writePythonStyle(value);
    }

    /** Python {@code str(x)} of a JSON value: {@code True}/{@code False}/{@code None}, float repr; containers via tojson. */
    static String pythonStr(Object value) {
        return switch (value) {
            case null -> "None";
            case String s -> s;
            case Boolean b -> b ? "True" : "False";
            case Double d -> Json.pythonFloat(d);
            case Float f -> Json.pythonFloat(f.doubleValue());
            case BigDecimal bd -> Json.pythonFloat(bd.doubleValue());
            case Number n -> n.toString();
            case Map<?, ?> m -> toJson(m);
            case List<?> l -> toJson(l);
            default -> String.valueOf(value);
        };
    }

    /** Python {@code s.split(sep)[0]} and {@code [-1]}: text before the first / after the last occurrence. */
    static String beforeFirst(String s, String sep) {
        int i = s.indexOf(sep);
        return i < 0 ? s : s.substring(0, i);
    }

    static String afterLast(String s, String sep) {
        int i = s.lastIndexOf(sep);
        return i < 0 ? s : s.substring(i + sep.length());
    }

    /**
     * An assistant content with a {@code <think>} block split as both templates do: reasoning = text before the first
     * {@code </think>}, right-stripped of newlines, after the last {@code <think>}, left-stripped of newlines; content =
     * text after the last {@code </think>}, left-stripped of newlines. Returns {reasoning, content}.
     */
    static String[] splitThinkBlock(String content) {
        String reasoning = stripChar(afterLast(stripChar(beforeFirst(content, "</think>"), '\n', false, true), "<think>"), '\n', true, false);
        return new String[] {reasoning, stripChar(afterLast(content, "</think>"), '\n', true, false)};
    }

    /**
     * {reasoning, content} of an assistant message: its reasoning field when it has one, else the think block split
     * out of its content ({@link #splitThinkBlock}), else no reasoning.
     */
    static String[] reasoningAndContent(String reasoning, String content) {
        if (reasoning != null) return new String[] {reasoning, content};
        return content.contains("</think>") ? splitThinkBlock(content) : new String[] {"", content};
    }

    /** One whole turn: {@code <|im_start|>role\ncontent<|im_end|>\n}. */
    static void turn(StringBuilder out, String role, String content) {
        out.append(IM_START).append(role).append('\n').append(content).append(IM_END).append('\n');
    }

    /** A tool call in the JSON format of Qwen2.5 and Qwen3. */
    static void jsonToolCall(StringBuilder out, ToolCall call) {
        out.append("<tool_call>\n{\"name\": \"").append(call.name()).append("\", \"arguments\": ")
                .append(toJson(call.arguments())).append("}\n</tool_call>");
    }

    /**
     * Tool message {@code i}: consecutive tool results share one user turn, opened by the first of them and closed
     * by the last. {@code openAtStart}: whether a tool message that begins the conversation opens that turn (Qwen3.5's
     * template looks only at the previous item, so it does not).
     */
    static void toolResponse(StringBuilder out, List<ChatMessage> messages, int i, String content, boolean openAtStart) {
        boolean first = i == 0 ? openAtStart : messages.get(i - 1).role() != Role.TOOL;
        if (first) out.append(IM_START).append("user");
        out.append("\n<tool_response>\n").append(content).append("\n</tool_response>");
        if (i == messages.size() - 1 || messages.get(i + 1).role() != Role.TOOL) out.append(IM_END).append('\n');
    }

    static boolean isToolResponseWrapper(String content) {
        return content.startsWith("<tool_response>") && content.endsWith("</tool_response>");
    }
}
