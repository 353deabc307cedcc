package dev.qwen4j.generate;

/**
 * One tool call made by the model.
 *
 * @param name      the function name
 * @param arguments the arguments as a JSON object text
 * @param raw       the model's text between {@code <tool_call>} and {@code </tool_call>}
 */
public record ToolCall(String name, String arguments, String raw) {
}
