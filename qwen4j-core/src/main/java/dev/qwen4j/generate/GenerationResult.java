package dev.qwen4j.generate;

import dev.qwen4j.chat.ToolCall;

import java.util.List;

/**
 * The outcome of one generation.
 *
 * @param text         the answer (reasoning and tool-call markup removed, stop string excluded)
 * @param reasoning    the think-block text ("" when the model did not think)
 * @param toolCalls    tool calls the model made, in order
 * @param tokens       every generated token id, including forced ones and the final end-of-turn token
 * @param finishReason why it ended
 * @param usage        token counts and timings
 * @param seed         the sampler seed used (repeat a sampled run with it)
 */
public record GenerationResult(String text, String reasoning, List<ToolCall> toolCalls, int[] tokens,
                               FinishReason finishReason, Usage usage, long seed) {
}
