package dev.qwen4j.chat;

/**
 * Template variables.
 *
 * @param addGenerationPrompt end with the opening of an assistant turn ({@code <|im_start|>assistant\n} plus the
 *                            think prefix of §6.3)
 * @param enableThinking      {@code TRUE}/{@code FALSE} set the variable; {@code null} leaves it undefined, which
 *                            means the template's default ({@link ChatTemplate#thinksByDefault()})
 */
public record RenderOptions(boolean addGenerationPrompt, Boolean enableThinking) {
    /** Generation prompt, thinking at the template's default. */
    public static final RenderOptions GENERATE = new RenderOptions(true, null);
    /** History only (no generation prompt). */
    public static final RenderOptions HISTORY = new RenderOptions(false, null);

    public static RenderOptions generate(boolean enableThinking) {
        return new RenderOptions(true, enableThinking);
    }
}
