package dev.qwen4j.generate;

/**
 * Token counts and timings of one generation.
 *
 * @param promptTokens       tokens in the prompt
 * @param cachedTokens       prompt tokens reused from the prompt cache (not processed again)
 * @param completionTokens   tokens generated (reasoning included; the end-of-turn token included)
 * @param reasoningTokens    generated tokens inside the think block
 * @param prefillNanos       time to process the {@code promptTokens − cachedTokens} new prompt tokens
 * @param decodeNanos        time spent generating after the prompt (sampling + one forward per token)
 * @param decodedTokens      tokens decoded after the prompt, by a forward pass of their own or as accepted drafts
 * @param timeToFirstTokenNanos from the start of the request to the first generated token
 * @param draftedTokens      tokens drafted by prompt lookup and checked by the model (speculative decoding)
 * @param acceptedTokens     drafted tokens that were kept: each saved a forward pass
 */
public record Usage(int promptTokens, int cachedTokens, int completionTokens, int reasoningTokens,
                    long prefillNanos, long decodeNanos, int decodedTokens, long timeToFirstTokenNanos,
                    int draftedTokens, int acceptedTokens) {

    /** Usage of a generation without drafting. */
    public Usage(int promptTokens, int cachedTokens, int completionTokens, int reasoningTokens,
                 long prefillNanos, long decodeNanos, int decodedTokens, long timeToFirstTokenNanos) {
        this(promptTokens, cachedTokens, completionTokens, reasoningTokens, prefillNanos, decodeNanos, decodedTokens,
                timeToFirstTokenNanos, 0, 0);
    }

    /** The share of drafted tokens the model agreed with (0 when nothing was drafted). */
    public double acceptanceRate() {
        return draftedTokens == 0 ? 0 : (double) acceptedTokens / draftedTokens;
    }

    /** Prompt tokens that went through the model. */
    public int processedPromptTokens() {
        return promptTokens - cachedTokens;
    }

    public double prefillTokensPerSecond() {
        return rate(processedPromptTokens(), prefillNanos);
    }

    public double decodeTokensPerSecond() {
        return rate(decodedTokens, decodeNanos);
    }

    public double timeToFirstTokenSeconds() {
        return timeToFirstTokenNanos / 1e9;
    }

    private static double rate(int tokens, long nanos) {
        return nanos <= 0 || tokens <= 0 ? 0 : tokens * 1e9 / nanos;
    }

    /**
     * One line for people: "12 tokens, 34.5 tok/s | prompt 40 (32 cached), 512.0 tok/s | first token 0.12 s", plus
     * " | drafts 9/12 accepted" when drafting.
     */
    public String summary() {
        String line = String.format(java.util.Locale.ROOT, "%d tokens, %.1f tok/s | prompt %d (%d cached), %.1f tok/s | first token %.2f s",
                completionTokens, decodeTokensPerSecond(), promptTokens, cachedTokens, prefillTokensPerSecond(),
                timeToFirstTokenSeconds());
        return draftedTokens == 0 ? line : line + " | drafts " + acceptedTokens + "/" + draftedTokens + " accepted";
    }
}
