package dev.qwen4j.chat;

import java.util.List;
import java.util.Locale;

/**
 * A native (no Jinja) renderer of one official Qwen chat template, byte-exact with the Hugging Face rendering of
 * QWEN_SPEC.md §6.4. Pick one with {@link #detect}.
 */
public sealed interface ChatTemplate permits Qwen25Template, Qwen3Template, Qwen35Template {

    /** Renders the prompt. Throws {@link IllegalArgumentException} where the official template raises an error. */
    String render(List<ChatMessage> messages, List<ToolDefinition> tools, RenderOptions options);

    default String render(List<ChatMessage> messages, RenderOptions options) {
        return render(messages, List.of(), options);
    }

    /** Whether the generation prompt leaves the model thinking when {@code enable_thinking} is not given. */
    boolean thinksByDefault();

    /** How the model writes tool calls (and how {@link OutputParser} reads them). */
    ToolCallFormat toolCallFormat();

    /**
     * Whether the generation prompt for these options ends inside an open {@code <think>} block, so that the model's
     * output starts with reasoning (QWEN_SPEC.md §6.5, rule 1).
     */
    boolean promptOpensThinking(RenderOptions options);

    /** Tool-call syntax of a model family. */
    enum ToolCallFormat {
        /** Qwen2.5 / Qwen3: {@code <tool_call>\n{"name": …, "arguments": {…}}\n</tool_call>}. */
        JSON,
        /** Qwen3.5 ("qwen3_coder"): {@code <tool_call>\n<function=NAME>\n<parameter=KEY>\nVALUE\n</parameter>…}. */
        XML
    }

    /**
     * Chooses the renderer for a model: by fingerprinting the embedded template text when there is one (fine-tunes
     * keep their family's template), else by GGUF architecture ({@code qwen2}, {@code qwen3}, {@code qwen35}).
     *
     * <ul>
     *   <li>{@code <function=} / {@code <parameter=} (XML tool calls) → Qwen3.5. Its default thinking mode is read from
     *       the final block: {@code enable_thinking is true} there (0.8B/2B) means off unless enabled;
     *       otherwise (4B/9B: {@code enable_thinking is false}) on unless disabled.</li>
     *   <li>{@code <think>}, {@code enable_thinking} or {@code reasoning_content} → Qwen3.</li>
     *   <li>any other ChatML template ({@code <|im_start|>}) → Qwen2.5.</li>
     * </ul>
     *
     * @param architecture GGUF {@code general.architecture} (may be null)
     * @param templateText {@code tokenizer.chat_template} (may be null)
     */
    static ChatTemplate detect(String architecture, String templateText) {
        if (templateText != null && !templateText.isBlank()) {
            if (templateText.contains("<function=") && templateText.contains("<parameter=")) {
                boolean optIn = templateText.contains("enable_thinking is defined and enable_thinking is true");
                return new Qwen35Template(!optIn);
            }
            if (templateText.contains("<think>") || templateText.contains("enable_thinking") || templateText.contains("reasoning_content")) {
                return new Qwen3Template();
            }
            if (templateText.contains("<|im_start|>")) return new Qwen25Template();
        }
        String arch = architecture == null ? "" : architecture.toLowerCase(Locale.ROOT);
        return switch (arch) {
            case "qwen35", "qwen3_5", "qwen35moe" -> new Qwen35Template(true);
            case "qwen3", "qwen3moe" -> new Qwen3Template();
            case "qwen2", "qwen2moe" -> new Qwen25Template();
            default -> throw new IllegalArgumentException("no chat template for architecture '" + architecture
                    + "' (qwen4j renders Qwen2.5, Qwen3 and Qwen3.5 ChatML)");
        };
    }

    /** {@link #detect} with a GGUF file's {@code general.architecture} and {@code tokenizer.chat_template}. */
    static ChatTemplate forModel(dev.qwen4j.gguf.GgufFile gguf) {
        return detect(gguf.architecture(), gguf.getString("tokenizer.chat_template", null));
    }

    static ChatTemplate qwen25() {
        return new Qwen25Template();
    }

    static ChatTemplate qwen3() {
        return new Qwen3Template();
    }

    /** Qwen3.5; {@code thinksByDefault} is false for the 0.8B/2B templates and true for 4B/9B. */
    static ChatTemplate qwen35(boolean thinksByDefault) {
        return new Qwen35Template(thinksByDefault);
    }
}
