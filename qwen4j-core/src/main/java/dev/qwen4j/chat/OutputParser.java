package dev.qwen4j.chat;

import dev.qwen4j.json.Json;
import dev.qwen4j.json.JsonException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Splits a model's output into reasoning, visible content and tool calls (QWEN_SPEC.md §6.5), incrementally: feed text
 * as it is decoded with {@link #accept} and call {@link #finish} at the end of generation. Events reach the
 * {@link Listener} as soon as they are certain: text that could be the start of a tag ({@code <}, {@code </thi}, …)
 * and trailing newlines (stripped around reasoning and before tool calls) are held back until the next chunk decides.
 *
 * <p>Model output is never an error. Drift is tolerated and reported in {@link ParsedOutput#problems()}:
 * <ul>
 *   <li>text before a tool call is content; text after one is content too;</li>
 *   <li>a {@code <tool_call>} inside the think block is still a call (reasoning continues after it);</li>
 *   <li>Qwen3.5 calls missing {@code <tool_call>} (a bare {@code <function=…>…</function>}) are calls;</li>
 *   <li>a {@code </think>} without an opening tag ends a reasoning block that began at the start of the output:
 *       the final result reclassifies the text before it as reasoning (already-streamed events stay as they were);</li>
 *   <li>no {@code </think>} at the end: everything after the opening is reasoning and there is no answer;</li>
 *   <li>an unterminated call at the end is parsed as far as possible (JSON is closed automatically);</li>
 *   <li>a call that cannot be parsed (malformed JSON, no function name) is passed on as content text.</li>
 * </ul>
 * Either call syntax is accepted in either family (a body starting with {@code {} is read as JSON, one containing
 * {@code <function=} as XML); {@code format} only decides whether a bare {@code <function=} opens a call.
 * Not thread-safe.
 */
public final class OutputParser {

    /** Receives parse events in output order. */
    public interface Listener {
        default void onReasoning(String text) {
        }

        default void onContent(String text) {
        }

        default void onToolCall(ToolCall call) {
        }

        /** Something was tolerated (see the class comment); for logging. */
        default void onProblem(String problem) {
        }
    }

    private static final String THINK = "<think>", END_THINK = "</think>", CALL = "<tool_call>", END_CALL = "</tool_call>";
    private static final String FUNCTION = "<function=", END_FUNCTION = "</function>", PARAMETER = "<parameter=", END_PARAMETER = "</parameter>";

    private enum Mode { REASONING, CONTENT, TOOL_CALL }

    private final ChatTemplate.ToolCallFormat format;
    private final Map<String, ToolDefinition> tools = new HashMap<>();
    private final Listener listener;

    private final StringBuilder pending = new StringBuilder();
    private final StringBuilder raw = new StringBuilder();
    private final StringBuilder reasoning = new StringBuilder();
    private final StringBuilder content = new StringBuilder();
    private final List<ToolCall> calls = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();

    private Mode mode;
    private Mode modeAfterCall;
    private boolean implicitCall;      // opened by a bare <function=
    private boolean lastCallWasImplicit;
    private boolean atSegmentStart = true; // strip newlines at the start of reasoning / content
    private int heldNewlines;          // trailing newlines not yet emitted
    private boolean thinkOpened;
    private boolean finished;

    /**
     * @param format            the model's tool-call syntax ({@link ChatTemplate#toolCallFormat()})
     * @param tools             tool definitions, used to type Qwen3.5 parameter values by their JSON schema
     * @param startsInReasoning the prompt ended inside an open think block ({@link ChatTemplate#promptOpensThinking})
     */
    public OutputParser(ChatTemplate.ToolCallFormat format, List<ToolDefinition> tools, boolean startsInReasoning, Listener listener) {
        this.format = format;
        if (tools != null) for (ToolDefinition t : tools) this.tools.put(t.name(), t);
        this.listener = listener == null ? new Listener() { } : listener;
        this.mode = startsInReasoning ? Mode.REASONING : Mode.CONTENT;
        this.thinkOpened = startsInReasoning;
    }

    /** A parser set up for a prompt rendered with {@code template} and {@code options}. */
    public static OutputParser forPrompt(ChatTemplate template, RenderOptions options, List<ToolDefinition> tools, Listener listener) {
        return new OutputParser(template.toolCallFormat(), tools, template.promptOpensThinking(options), listener);
    }

    /** Parses a complete output at once. */
    public static ParsedOutput parse(String output, ChatTemplate.ToolCallFormat format, List<ToolDefinition> tools, boolean startsInReasoning) {
        OutputParser p = new OutputParser(format, tools, startsInReasoning, null);
        p.accept(output);
        return p.finish();
    }

    /** Feeds the next piece of decoded text. */
    public void accept(String text) {
        if (finished) throw new IllegalStateException("finish() was already called");
        raw.append(text);
        pending.append(text);
        process(false);
    }

    /** Ends the output (EOS, stop token or length limit): flushes held text and returns the whole result. */
    public ParsedOutput finish() {
        if (!finished) {
            process(true);
            finished = true;
        }
        return new ParsedOutput(reasoning.toString(), content.toString(), calls, problems, raw.toString());
    }

    private void process(boolean endOfOutput) {
        while (true) {
            if (mode == Mode.TOOL_CALL) {
                String endTag = implicitCall ? END_FUNCTION : END_CALL;
                int end = pending.indexOf(endTag);
                if (end < 0) {
                    if (!endOfOutput) return;
                    String body = take(pending.length());
                    problem("unterminated tool call at the end of the output");
                    finishCall(implicitCall ? FUNCTION + body : body, true);
                    return;
                }
                String body = take(end);
                take(endTag.length());
                finishCall(implicitCall ? FUNCTION + body + END_FUNCTION : body, false);
                continue;
            }
            int[] tag = nextTag();
            if (tag == null) {
                int keep = endOfOutput ? 0 : heldTagPrefix();
                emit(take(pending.length() - keep));
                if (endOfOutput) endSegment();
                return;
            }
            emit(take(tag[0]));
            String name = take(tag[1]);
            onTag(name);
        }
    }

    /** Position and length of the earliest tag in {@code pending}, or null. */
    private int[] nextTag() {
        int best = -1;
        int bestLength = 0;
        for (String tag : tags()) {
            int i = pending.indexOf(tag);
            if (i >= 0 && (best < 0 || i < best)) {
                best = i;
                bestLength = tag.length();
            }
        }
        return best < 0 ? null : new int[] {best, bestLength};
    }

    private List<String> tags() {
        if (mode == Mode.CONTENT && format == ChatTemplate.ToolCallFormat.XML) return List.of(THINK, END_THINK, CALL, END_CALL, FUNCTION);
        return List.of(THINK, END_THINK, CALL, END_CALL);
    }

    /** Length of the longest suffix of {@code pending} that could still grow into a tag. */
    private int heldTagPrefix() {
        int max = 0;
        for (String tag : tags()) {
            for (int len = Math.min(tag.length() - 1, pending.length()); len > max; len--) {
                if (regionMatchesPending(pending.length() - len, tag, len)) {
                    max = len;
                    break;
                }
            }
        }
        return max;
    }

    private boolean regionMatchesPending(int from, String tag, int len) {
        for (int i = 0; i < len; i++) if (pending.charAt(from + i) != tag.charAt(i)) return false;
        return true;
    }

    private void onTag(String tag) {
        switch (tag) {
            case THINK -> {
                if (mode == Mode.REASONING) {
                    problem("repeated <think> inside the think block");
                    return;
                }
                endSegment();
                mode = Mode.REASONING;
                thinkOpened = true;
                atSegmentStart = true;
            }
            case END_THINK -> {
                if (mode == Mode.CONTENT) {
                    if (thinkOpened) {
                        problem("</think> after the think block was closed");
                        return;
                    }
                    problem("</think> without <think>: the text before it is reasoning");
                    heldNewlines = 0;
                    String before = content.toString();
                    content.setLength(0);
                    reasoning.append(TemplateText.stripChar(before, '\n', true, true));
                }
                heldNewlines = 0; // newlines before </think> belong to neither side
                mode = Mode.CONTENT;
                thinkOpened = true;
                atSegmentStart = true;
            }
            case CALL, FUNCTION -> {
                heldNewlines = 0; // whitespace between text and a call is layout
                modeAfterCall = mode;
                mode = Mode.TOOL_CALL;
                implicitCall = tag.equals(FUNCTION);
                if (implicitCall) problem("tool call without <tool_call>");
            }
            case END_CALL -> {
                // Harmless right after a bare <function=…></function> call; otherwise the opening tag may be missing.
                if (lastCallWasImplicit && !calls.isEmpty()) return;
                if (mode == Mode.CONTENT && recoverJsonCallFromContent()) return;
                problem("stray </tool_call>");
            }
            default -> throw new IllegalStateException(tag);
        }
    }

    /**
     * A JSON call whose {@code <tool_call>} is missing ends in {@code {"name": …}</tool_call>}: if the content so far
     * ends with such an object, it becomes a call in the result (the streamed content events already showed it).
     */
    private boolean recoverJsonCallFromContent() {
        String text = content.toString();
        int start = text.lastIndexOf("{\"name\"");
        if (start < 0) return false;
        ToolCall call;
        try {
            Map<String, Object> obj = Json.parseObject(text.substring(start));
            if (!(obj.get("name") instanceof String)) return false;
            call = parseJsonCall(text.substring(start).strip(), false);
        } catch (JsonException e) {
            return false;
        }
        if (call == null) return false;
        problem("tool call without <tool_call>");
        content.setLength(start);
        while (!content.isEmpty() && TemplateText.isPythonSpace(content.charAt(content.length() - 1))) content.setLength(content.length() - 1);
        heldNewlines = 0;
        calls.add(call);
        listener.onToolCall(call);
        lastCallWasImplicit = true;
        return true;
    }

    private void finishCall(String body, boolean unterminated) {
        lastCallWasImplicit = implicitCall;
        mode = modeAfterCall;
        atSegmentStart = mode == Mode.CONTENT && content.isEmpty();
        ToolCall call = parseCall(body, unterminated);
        if (call != null) {
            calls.add(call);
            listener.onToolCall(call);
        } else {
            String text = implicitCall ? body : CALL + body + (unterminated ? "" : END_CALL);
            emit(text);
        }
        implicitCall = false;
    }

    private ToolCall parseCall(String body, boolean unterminated) {
        String trimmed = TemplateText.strip(body);
        if (trimmed.startsWith("{")) return parseJsonCall(trimmed, unterminated);
        if (trimmed.contains(FUNCTION)) return parseXmlCall(trimmed);
        problem("tool call is neither JSON nor <function=…>: " + abbreviate(trimmed));
        return null;
    }

    @SuppressWarnings("unchecked")
    private ToolCall parseJsonCall(String text, boolean unterminated) {
        Map<String, Object> obj;
        try {
            obj = Json.parseObject(text);
        } catch (JsonException e) {
            String repaired = unterminated ? closeJson(text) : null;
            try {
                if (repaired == null) throw e;
                obj = Json.parseObject(repaired);
            } catch (JsonException e2) {
                problem("malformed tool call JSON (" + e.getMessage() + "): " + abbreviate(text));
                return null;
            }
        }
        if (!(obj.get("name") instanceof String name)) {
            problem("tool call JSON without a \"name\": " + abbreviate(text));
            return null;
        }
        Object args = obj.containsKey("arguments") ? obj.get("arguments") : obj.get("parameters");
        Map<String, Object> arguments = switch (args) {
            case null -> Map.of();
            case Map<?, ?> m -> (Map<String, Object>) m;
            case String s -> {
                try {
                    yield Json.parseObject(s);
                } catch (JsonException e) {
                    problem("tool call arguments string is not a JSON object: " + abbreviate(s));
                    yield Map.of();
                }
            }
            default -> {
                problem("tool call arguments are not an object: " + abbreviate(Json.write(args)));
                yield Map.of();
            }
        };
        return new ToolCall(name, arguments);
    }

    /** Closes the open strings, arrays and objects of a truncated JSON text. */
    private static String closeJson(String text) {
        StringBuilder closers = new StringBuilder();
        boolean inString = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (inString) {
                if (c == '\\') i++;
                else if (c == '"') inString = false;
            } else if (c == '"') {
                inString = true;
            } else if (c == '{') {
                closers.append('}');
            } else if (c == '[') {
                closers.append(']');
            } else if ((c == '}' || c == ']') && !closers.isEmpty()) {
                closers.setLength(closers.length() - 1);
            }
        }
        return text + (inString ? "\"" : "") + closers.reverse();
    }

    private ToolCall parseXmlCall(String text) {
        int f = text.indexOf(FUNCTION);
        int nameEnd = text.indexOf('>', f);
        if (nameEnd < 0) {
            problem("<function= without '>': " + abbreviate(text));
            return null;
        }
        String name = text.substring(f + FUNCTION.length(), nameEnd).strip();
        if (name.isEmpty()) {
            problem("<function=> without a name");
            return null;
        }
        ToolDefinition tool = tools.get(name);
        Map<String, Object> arguments = new LinkedHashMap<>();
        int i = nameEnd + 1;
        while (true) {
            int p = text.indexOf(PARAMETER, i);
            if (p < 0) break;
            int keyEnd = text.indexOf('>', p);
            if (keyEnd < 0) {
                problem("<parameter= without '>'");
                break;
            }
            String key = text.substring(p + PARAMETER.length(), keyEnd).strip();
            int valueStart = keyEnd + 1;
            int valueEnd = text.indexOf(END_PARAMETER, valueStart);
            int next = valueEnd;
            if (valueEnd < 0) {
                problem("parameter '" + key + "' without </parameter>");
                valueEnd = firstOf(text, valueStart, PARAMETER, END_FUNCTION);
                next = valueEnd;
            } else {
                next = valueEnd + END_PARAMETER.length();
            }
            String value = text.substring(valueStart, valueEnd);
            if (value.startsWith("\n")) value = value.substring(1);
            if (value.endsWith("\n")) value = value.substring(0, value.length() - 1);
            arguments.put(key, typed(value, tool == null ? null : tool.parameterType(key)));
            i = next;
        }
        return new ToolCall(name, arguments);
    }

    private static int firstOf(String text, int from, String a, String b) {
        int i = text.indexOf(a, from);
        int j = text.indexOf(b, from);
        if (i < 0) return j < 0 ? text.length() : j;
        return j < 0 ? i : Math.min(i, j);
    }

    /** Converts a Qwen3.5 parameter value by its JSON-schema type (QWEN_SPEC.md §6.5 rule 2). */
    static Object typed(String value, String schemaType) {
        String v = value.strip();
        if (schemaType == null) return untyped(value);
        switch (schemaType) {
            case "string":
                return value;
            case "integer":
                try {
                    return Long.parseLong(v);
                } catch (NumberFormatException e) {
                    Object n = number(v);
                    return n != null ? n : value;
                }
            case "number": {
                Object n = number(v);
                return n != null ? n : value;
            }
            case "boolean":
                if (v.equalsIgnoreCase("true")) return Boolean.TRUE;
                if (v.equalsIgnoreCase("false")) return Boolean.FALSE;
                return value;
            case "null":
                return v.equals("null") || v.equals("None") ? null : value;
            case "object", "array":
                try {
                    return Json.parse(v);
                } catch (JsonException e) {
                    return value;
                }
            default:
                return untyped(value);
        }
    }

    /** Unknown parameter: JSON if it parses (also Python's True/False/None), else the text. */
    private static Object untyped(String value) {
        String v = value.strip();
        switch (v) {
            case "True": return Boolean.TRUE;
            case "False": return Boolean.FALSE;
            case "None": return null;
            default:
                try {
                    return Json.parse(v);
                } catch (JsonException e) {
                    return value;
                }
        }
    }

    private static Object number(String v) {
        try {
            if (v.matches("-?\\d+")) return Long.parseLong(v);
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Emits text in the current mode: newlines at the start of a segment are stripped, trailing ones held. */
    private void emit(String text) {
        if (text.isEmpty()) return;
        if (atSegmentStart) {
            text = TemplateText.stripChar(text, '\n', true, false);
            if (text.isEmpty()) return;
            atSegmentStart = false;
        }
        int trailing = 0;
        while (trailing < text.length() && text.charAt(text.length() - 1 - trailing) == '\n') trailing++;
        if (trailing == text.length()) {
            heldNewlines += trailing;
            return;
        }
        String out = "\n".repeat(heldNewlines) + text.substring(0, text.length() - trailing);
        heldNewlines = trailing;
        if (mode == Mode.REASONING) {
            reasoning.append(out);
            listener.onReasoning(out);
        } else {
            content.append(out);
            listener.onContent(out);
        }
    }

    /** At the end of output or a segment: held newlines are dropped (they only surround tags). */
    private void endSegment() {
        heldNewlines = 0;
    }

    private String take(int n) {
        String s = pending.substring(0, n);
        pending.delete(0, n);
        return s;
    }

    private void problem(String p) {
        problems.add(p);
        listener.onProblem(p);
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
