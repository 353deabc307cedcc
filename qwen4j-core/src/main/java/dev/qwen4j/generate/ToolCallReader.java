package dev.qwen4j.generate;

import dev.qwen4j.chat.ChatTemplate.ToolCallFormat;
import dev.qwen4j.chat.ToolCall;
import dev.qwen4j.json.Json;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the text between {@code <tool_call>} and {@code </tool_call>} (QWEN_SPEC.md §6.5): a JSON object
 * {@code {"name", "arguments"}} for Qwen2.5/Qwen3, or Qwen3.5's {@code <function=NAME><parameter=KEY>VALUE…}.
 * Qwen3.5 parameter values are JSON when they parse as JSON (numbers, booleans, objects), else strings.
 * Returns null for text that is not a well-formed call, which then stays visible as answer text.
 */
final class ToolCallReader implements OutputRouter.ToolCallParser {
    private final ToolCallFormat format;

    ToolCallReader(ToolCallFormat format) {
        this.format = format;
    }

    @Override
    public ToolCall parse(String raw) {
        try {
            return format == ToolCallFormat.XML ? parseXml(raw) : parseJson(raw);
        } catch (RuntimeException e) {
            return null;
        }
    }

    @SuppressWarnings("unchecked")
    private static ToolCall parseJson(String raw) {
        Map<String, Object> call = Json.parseObject(raw.strip());
        if (!(call.get("name") instanceof String name)) return null;
        Object args = call.get("arguments");
        if (args instanceof String s) args = Json.parseObject(s);
        if (args != null && !(args instanceof Map)) return null;
        return new ToolCall(name, (Map<String, Object>) args);
    }

    private static ToolCall parseXml(String raw) {
        int f = raw.indexOf("<function=");
        if (f < 0) return null;
        int nameEnd = raw.indexOf('>', f);
        int end = raw.indexOf("</function>", nameEnd);
        if (nameEnd < 0 || end < 0) return null;
        String name = raw.substring(f + "<function=".length(), nameEnd).strip();
        Map<String, Object> args = new LinkedHashMap<>();
        int at = nameEnd + 1;
        while (true) {
            int p = raw.indexOf("<parameter=", at);
            if (p < 0 || p > end) break;
            int keyEnd = raw.indexOf('>', p);
            int close = raw.indexOf("</parameter>", keyEnd);
            if (keyEnd < 0 || close < 0) return null;
            String value = raw.substring(keyEnd + 1, close);
            if (value.startsWith("\n")) value = value.substring(1); // exactly one newline each side is framing
            if (value.endsWith("\n")) value = value.substring(0, value.length() - 1);
            args.put(raw.substring(p + "<parameter=".length(), keyEnd).strip(), value(value));
            at = close + "</parameter>".length();
        }
        return name.isEmpty() ? null : new ToolCall(name, args);
    }

    private static Object value(String text) {
        String t = text.strip();
        if (t.equals("True")) return Boolean.TRUE;
        if (t.equals("False")) return Boolean.FALSE;
        if (t.equals("None")) return null;
        if (!t.isEmpty() && "{[-0123456789tfn".indexOf(t.charAt(0)) >= 0) {
            try {
                return Json.parse(t);
            } catch (RuntimeException notJson) {
                // a plain string that happens to start like JSON
            }
        }
        return text;
    }
}
