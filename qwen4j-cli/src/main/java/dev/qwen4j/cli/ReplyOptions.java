package dev.qwen4j.cli;

import dev.qwen4j.generate.Chat;
import dev.qwen4j.generate.LoopPolicy;
import dev.qwen4j.generate.SamplingParams;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** How to answer: thinking, length, stop strings, system prompt. Shared by {@code run} and {@code chat}. */
final class ReplyOptions {
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

    @Option(names = "--reasoning", paramLabel = "WHERE", description = "Where reasoning goes: ${COMPLETION-CANDIDATES} (default: stderr).")
    ReasoningOutput reasoning = ReasoningOutput.stderr;

    enum ReasoningOutput { stderr, stdout, hide }

    Chat.ReplyOptions toReplyOptions(SamplingParams sampling) {
        return new Chat.ReplyOptions(sampling, maxTokens, thinkingBudget == null ? -1 : thinkingBudget, stop, loops);
    }
}
