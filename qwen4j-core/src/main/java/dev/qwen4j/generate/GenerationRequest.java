package dev.qwen4j.generate;

import dev.qwen4j.chat.ToolDefinition;

import java.util.Arrays;
import java.util.List;

/**
 * One generation on a {@link Session}: the prompt tokens and how to continue them. Build with
 * {@link #builder(int[])}; a chat turn is usually built by {@link Chat}, which renders the messages first.
 *
 * @param prompt           the complete prompt (the session reuses whatever prefix it has already processed)
 * @param sampling         how tokens are chosen
 * @param maxTokens        the most new tokens (reasoning included); ≤ 0 = until the context is full
 * @param stopStrings      the answer ends before the first of these (they are not part of the text)
 * @param thinkingBudget   the most think-block tokens; when reached, {@code </think>} is inserted and the model
 *                         answers; &lt; 0 = no budget
 * @param loopPolicy       what the repetition-loop detector does
 * @param parseThinking    split think blocks off as reasoning (false: every token is answer text)
 * @param checkpointHints  prompt positions worth a prompt-cache checkpoint (e.g. where the history ends);
 *                         the start of the last assistant header is always one
 * @param tools            the tools offered in the prompt: their schemas type the arguments of Qwen3.5 calls
 * @param draftTokens      speculative decoding: up to this many tokens drafted by prompt lookup are checked in
 *                         one forward pass; 0 = off. Used only with greedy sampling (temperature 0), ignored
 *                         otherwise. The output is the same as without drafting, only the forward passes differ.
 * @param draftHead        draft with the model's own draft head (Qwen3.5 MTP, one guess per pass) instead of
 *                         prompt lookup; the model must have one ({@code LanguageModel.hasDraftHead()})
 */
public record GenerationRequest(int[] prompt, SamplingParams sampling, int maxTokens, List<String> stopStrings,
                                int thinkingBudget, LoopPolicy loopPolicy, boolean parseThinking, int[] checkpointHints,
                                List<ToolDefinition> tools, int draftTokens, boolean draftHead) {

    public GenerationRequest {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt is empty");
        prompt = prompt.clone();
        stopStrings = List.copyOf(stopStrings);
        checkpointHints = checkpointHints.clone();
        tools = tools == null ? List.of() : List.copyOf(tools);
        if (draftTokens < 0) throw new IllegalArgumentException("the draft length must be ≥ 0, got " + draftTokens);
    }

    public static Builder builder(int[] prompt) {
        return new Builder(prompt);
    }

    public Builder toBuilder() {
        return new Builder(prompt).sampling(sampling).maxTokens(maxTokens).stopStrings(stopStrings)
                .thinkingBudget(thinkingBudget).loopPolicy(loopPolicy).parseThinking(parseThinking)
                .checkpointHints(checkpointHints).tools(tools).draftTokens(draftTokens).draftHead(draftHead);
    }

    @Override
    public String toString() {
        return "GenerationRequest[" + prompt.length + " prompt tokens, " + sampling + ", max " + maxTokens
                + ", stop " + stopStrings + ", thinking budget " + thinkingBudget + ", loops " + loopPolicy
                + ", hints " + Arrays.toString(checkpointHints) + ", draft " + draftTokens + (draftHead ? " (head)" : "") + "]";
    }

    public static final class Builder {
        private final int[] prompt;
        private SamplingParams sampling = SamplingParams.greedy();
        private int maxTokens;
        private List<String> stopStrings = List.of();
        private int thinkingBudget = -1;
        private LoopPolicy loopPolicy = LoopPolicy.CLOSE_THINKING;
        private boolean parseThinking = true;
        private int[] checkpointHints = new int[0];
        private List<ToolDefinition> tools = List.of();
        private int draftTokens;
        private boolean draftHead;

        private Builder(int[] prompt) {
            this.prompt = prompt;
        }

        public Builder sampling(SamplingParams v) {
            sampling = v;
            return this;
        }

        public Builder maxTokens(int v) {
            maxTokens = v;
            return this;
        }

        public Builder stopStrings(List<String> v) {
            stopStrings = v;
            return this;
        }

        public Builder thinkingBudget(int v) {
            thinkingBudget = v;
            return this;
        }

        public Builder loopPolicy(LoopPolicy v) {
            loopPolicy = v;
            return this;
        }

        public Builder parseThinking(boolean v) {
            parseThinking = v;
            return this;
        }

        public Builder checkpointHints(int... v) {
            checkpointHints = v;
            return this;
        }

        public Builder tools(List<ToolDefinition> v) {
            tools = v;
            return this;
        }

        public Builder draftTokens(int v) {
            draftTokens = v;
            return this;
        }

        public Builder draftHead(boolean v) {
            draftHead = v;
            return this;
        }

        public GenerationRequest build() {
            return new GenerationRequest(prompt, sampling, maxTokens, stopStrings, thinkingBudget, loopPolicy,
                    parseThinking, checkpointHints, tools, draftTokens, draftHead);
        }
    }
}
