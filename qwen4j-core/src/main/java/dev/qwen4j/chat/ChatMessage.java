package dev.qwen4j.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One chat message.
 *
 * @param role       who speaks
 * @param content    the visible text ("" when absent)
 * @param reasoning  assistant reasoning ({@code reasoning_content}); null when unknown — the templates then look for a
 *                   {@code <think>…</think>} block inside {@code content}
 * @param toolCalls  calls made by an assistant message (empty otherwise)
 * @param toolCallId for a tool result: the id of the call it answers (optional; Qwen prompts do not show it)
 * @param name       for a tool result: the function name (optional)
 */
public record ChatMessage(Role role, String content, String reasoning, List<ToolCall> toolCalls, String toolCallId, String name) {
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        content = content == null ? "" : content;
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    }

    public static ChatMessage system(String content) {
        return new ChatMessage(Role.SYSTEM, content, null, List.of(), null, null);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage(Role.USER, content, null, List.of(), null, null);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage(Role.ASSISTANT, content, null, List.of(), null, null);
    }

    public static ChatMessage assistant(String content, String reasoning, List<ToolCall> toolCalls) {
        return new ChatMessage(Role.ASSISTANT, content, reasoning, toolCalls, null, null);
    }

    public static ChatMessage tool(String content) {
        return new ChatMessage(Role.TOOL, content, null, List.of(), null, null);
    }

    public static ChatMessage tool(String content, String toolCallId, String name) {
        return new ChatMessage(Role.TOOL, content, null, List.of(), toolCallId, name);
    }

    /**
     * Reads an OpenAI-style message object: {@code role}, {@code content} (a string, or a list of
     * {@code {"type": "text", "text": …}} parts, which are concatenated), {@code reasoning_content},
     * {@code tool_calls} (with {@code arguments} as an object or a JSON string), {@code tool_call_id}, {@code name}.
     */
    @SuppressWarnings("unchecked")
    public static ChatMessage fromOpenAi(Map<String, Object> json) {
        if (!(json.get("role") instanceof String role)) throw new IllegalArgumentException("message without a role");
        String content = switch (json.get("content")) {
            case null -> "";
            case String s -> s;
            case List<?> parts -> {
                StringBuilder sb = new StringBuilder();
                for (Object p : parts) {
                    if (p instanceof Map<?, ?> m && m.get("text") instanceof String t) sb.append(t);
                    else throw new IllegalArgumentException("unsupported content part (only text is supported): " + p);
                }
                yield sb.toString();
            }
            default -> throw new IllegalArgumentException("message content must be a string or a list of parts");
        };
        List<ToolCall> calls = new ArrayList<>();
        Object toolCalls = json.get("tool_calls");
        if (toolCalls != null && !(toolCalls instanceof List)) throw new IllegalArgumentException("tool_calls must be a list");
        if (toolCalls instanceof List<?> list) {
            for (Object o : list) {
                if (!(o instanceof Map<?, ?> call)) throw new IllegalArgumentException("tool call must be an object");
                Map<String, Object> f = call.get("function") instanceof Map<?, ?> fm ? (Map<String, Object>) fm : (Map<String, Object>) call;
                if (!(f.get("name") instanceof String fname)) throw new IllegalArgumentException("tool call without a function name");
                Map<String, Object> args = switch (f.get("arguments")) {
                    case null -> Map.of();
                    case Map<?, ?> m -> (Map<String, Object>) m;
                    case String s -> s.isBlank() ? Map.of() : parseArguments(fname, s);
                    default -> throw new IllegalArgumentException("tool call arguments must be an object or a JSON string");
                };
                calls.add(new ToolCall(call.get("id") instanceof String id ? id : null, fname, args));
            }
        }
        return new ChatMessage(Role.fromWireName(role), content,
                json.get("reasoning_content") instanceof String r ? r : null, calls,
                json.get("tool_call_id") instanceof String id ? id : null,
                json.get("name") instanceof String n ? n : null);
    }

    private static Map<String, Object> parseArguments(String function, String json) {
        try {
            return dev.qwen4j.json.Json.parseObject(json);
        } catch (dev.qwen4j.json.JsonException e) {
            throw new IllegalArgumentException("tool call " + function + ": arguments are not a JSON object (" + e.getMessage() + ")", e);
        }
    }
}
