package dev.qwen4j.chat;

import dev.qwen4j.json.Json;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A function the model may call: name, description and a JSON schema ({@code {"type": "object", "properties": …,
 * "required": […]}}) as plain JSON values with their key order kept.
 */
public record ToolDefinition(String name, String description, Map<String, Object> parameters) {
    public ToolDefinition {
        Objects.requireNonNull(name, "name");
    }

    /** Accepts OpenAI's {@code {"type": "function", "function": {...}}} or the bare function object. */
    @SuppressWarnings("unchecked")
    public static ToolDefinition fromOpenAi(Map<String, Object> json) {
        Map<String, Object> f = json.get("function") instanceof Map<?, ?> m ? (Map<String, Object>) m : json;
        if (!(f.get("name") instanceof String name)) throw new IllegalArgumentException("tool definition without a name: " + Json.write(json));
        Map<String, Object> params = f.get("parameters") instanceof Map<?, ?> p ? (Map<String, Object>) p : null;
        return new ToolDefinition(name, f.get("description") instanceof String d ? d : null, params);
    }

    /** The OpenAI form the templates print: {@code {"type": "function", "function": {"name", "description", "parameters"}}}. */
    public Map<String, Object> toOpenAi() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("name", name);
        if (description != null) f.put("description", description);
        if (parameters != null) f.put("parameters", parameters);
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("type", "function");
        tool.put("function", f);
        return tool;
    }

    /** JSON schema {@code type} of one parameter ("string", "integer", …), or null if the schema does not say. */
    public String parameterType(String parameter) {
        if (parameters == null || !(parameters.get("properties") instanceof Map<?, ?> props)) return null;
        if (!(props.get(parameter) instanceof Map<?, ?> schema)) return null;
        Object type = schema.get("type");
        if (type instanceof String s) return s;
        if (type instanceof java.util.List<?> l) { // ["integer", "null"]: the first non-null type
            for (Object o : l) if (o instanceof String s && !s.equals("null")) return s;
        }
        return null;
    }
}
