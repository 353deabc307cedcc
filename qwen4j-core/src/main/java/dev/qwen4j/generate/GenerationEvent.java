package dev.qwen4j.generate;

import dev.qwen4j.chat.ToolCall;

/** What a generation streams to its listener, in order. */
public sealed interface GenerationEvent {

    /** Prompt processing advanced: {@code processed} of the {@code total} new (uncached) prompt tokens are done. */
    record PromptProgress(int processed, int total) implements GenerationEvent {
    }

    /** A generated token (sampled or forced), before it is turned into text. */
    record Token(int id) implements GenerationEvent {
    }

    /** More think-block text. */
    record Reasoning(String text) implements GenerationEvent {
    }

    /** More answer text. */
    record Text(String text) implements GenerationEvent {
    }

    /** A complete tool call. */
    record ToolCallEvent(ToolCall call) implements GenerationEvent {
    }

    /** The generation ended; always the last event. */
    record Done(GenerationResult result) implements GenerationEvent {
    }
}
