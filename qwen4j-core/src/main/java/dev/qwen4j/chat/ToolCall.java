package dev.qwen4j.chat;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A function call made by the assistant. {@code arguments} keeps its order (templates render arguments in insertion
 * order) and holds plain JSON values: {@code String}, {@code Long}/{@code Double}, {@code Boolean}, {@code null},
 * {@code Map}, {@code List}. {@code id} is optional (OpenAI-style call id; Qwen prompts do not show it).
 */
public record ToolCall(String id, String name, Map<String, Object> arguments) {
    public ToolCall {
        Objects.requireNonNull(name, "name");
        arguments = arguments == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(arguments));
    }

    public ToolCall(String name, Map<String, Object> arguments) {
        this(null, name, arguments);
    }
}
