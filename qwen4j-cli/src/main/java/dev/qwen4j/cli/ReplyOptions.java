package dev.qwen4j.cli;

import dev.qwen4j.generate.Chat;
import dev.qwen4j.generate.Engine;
import dev.qwen4j.generate.LoopPolicy;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** How to answer: thinking, length, stop strings, system prompt, sampling. Shared by {@code run} and {@code chat}. */
final class ReplyOptions {
    @Mixin
    SamplingOptions sampling;

    @Option(names = "--think", negatable = true,
            description = "Think before answering (--no-think: answer directly). Default: the model's own default.")
    Boolean think;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", description = "Most new tokens per answer, reasoning included (default: until the context is full).")
    int maxTokens;

    @Option(names = "--thinking-budget", paramLabel = "N",
            description = "Most reasoning tokens; then the think block is closed and the model answers.")
    Integer thinkingBudget;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop the answer before this text (repeatable).")
    List<String> stop = new ArrayList<>();

    @Option(names = "--system", paramLabel = "TEXT", description = "System prompt.")
    String system;

    @Option(names = "--loops", paramLabel = "POLICY",
            description = "Repetition loops: ${COMPLETION-CANDIDATES} (default: close_thinking = end a looping think block, stop a looping answer).")
    LoopPolicy loops = LoopPolicy.CLOSE_THINKING;

    @Option(names = "--draft", paramLabel = "N",
            description = "Speculative decoding with greedy sampling (--greedy or --temp 0): check up to N tokens drafted "
                    + "from the text so far in one forward pass; the answer is unchanged, repetitive text comes faster. "
                    + "Ignored when sampling. Default: 0 (off); 3 or 7 suit the batched kernels best.")
    int draft;

    @Option(names = "--draft-head",
            description = "Speculative decoding with the model's own draft head (the MTP block of Qwen3.5 files that keep it): "
                    + "one guess per pass, verified by the model, greedy sampling only; the answer is unchanged.")
    boolean draftHead;

    @Option(names = "--reasoning", paramLabel = "WHERE", description = "Where reasoning goes: ${COMPLETION-CANDIDATES} (default: stderr).")
    ReasoningOutput reasoning = ReasoningOutput.stderr;

    enum ReasoningOutput { stderr, stdout, hide }

    /** A conversation on {@code engine} with the system prompt and thinking mode asked for. */
    Chat newChat(Engine engine, int contextSize) {
        if (thinkingBudget != null && thinkingBudget < 0) {
            throw new IllegalArgumentException("--thinking-budget must be ≥ 0, got " + thinkingBudget);
        }
        Chat chat = engine.newChat(contextSize);
        chat.system(system);
        if (think != null) chat.thinking(think);
        return chat;
    }

    /** The options of {@code chat}'s next answer: Qwen's sampling defaults for its thinking mode, then the flags. */
    Chat.ReplyOptions nextAnswer(Engine engine, Chat chat) {
        if (draft < 0) throw new IllegalArgumentException("--draft must be ≥ 0, got " + draft);
        if (draftHead && !engine.model().hasDraftHead()) {
            throw new IllegalArgumentException("--draft-head: this model has no draft head (no MTP block in its file)");
        }
        return new Chat.ReplyOptions(sampling.apply(engine.defaultSampling(chat.thinking())), maxTokens,
                thinkingBudget == null ? -1 : thinkingBudget, stop, loops, draftHead ? Math.max(draft, 1) : draft, draftHead);
    }
}
