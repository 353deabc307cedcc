package dev.qwen4j.chat;

/** Message roles of the ChatML format (QWEN_SPEC.md §6.1). */
public enum Role {
    SYSTEM, USER, ASSISTANT, TOOL;

    /** The role name as written in the prompt and in OpenAI-style JSON. */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Role fromWireName(String name) {
        return switch (name) {
            case "system", "developer" -> SYSTEM;
            case "user" -> USER;
            case "assistant" -> ASSISTANT;
            case "tool" -> TOOL;
            default -> throw new IllegalArgumentException("unknown message role '" + name + "' (expected system, user, assistant or tool)");
        };
    }
}
