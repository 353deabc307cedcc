package dev.qwen4j.generate;

/**
 * How the next token is chosen from the logits (QWEN_SPEC.md §7.2). Immutable; the {@code with…} methods return
 * a copy with one value changed.
 *
 * @param temperature       0 = greedy (argmax, ties to the lowest id)
 * @param topK              keep the k most likely tokens; ≤ 0 keeps all
 * @param topP              nucleus: the smallest set whose probability reaches top_p; 1 = off
 * @param minP              drop tokens with p < min_p · p_max; 0 = off
 * @param presencePenalty   subtracted once from every token already generated in this response (OpenAI)
 * @param frequencyPenalty  subtracted per occurrence in this response (OpenAI)
 * @param repetitionPenalty divides positive / multiplies negative logits of tokens in the context (HF); 1 = off
 * @param penaltyWindow     how many of the latest tokens the penalties look at; ≤ 0 = the whole prompt/response
 * @param seed              the PRNG seed; null picks a fresh one (reported in the result, so a run can be repeated)
 */
public record SamplingParams(float temperature, int topK, float topP, float minP, float presencePenalty,
                             float frequencyPenalty, float repetitionPenalty, int penaltyWindow, Long seed) {

    public SamplingParams {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) throw new IllegalArgumentException("temperature must be ≥ 0, got " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        if (!(minP >= 0 && minP <= 1)) throw new IllegalArgumentException("min_p must be in [0, 1], got " + minP);
        if (!(repetitionPenalty > 0) || Float.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetition penalty must be a finite number > 0, got " + repetitionPenalty);
        }
        if (!Float.isFinite(presencePenalty) || !Float.isFinite(frequencyPenalty)) {
            throw new IllegalArgumentException("presence and frequency penalties must be finite numbers, got " + presencePenalty + " and " + frequencyPenalty);
        }
    }

    /** Argmax decoding with no penalties: the same text on every run. */
    public static SamplingParams greedy() {
        return new SamplingParams(0f, 0, 1f, 0f, 0f, 0f, 1f, 0, 0L);
    }

    public static SamplingParams of(float temperature, int topK, float topP, float minP, float presencePenalty) {
        return new SamplingParams(temperature, topK, topP, minP, presencePenalty, 0f, 1f, 0, null);
    }

    public boolean isGreedy() {
        return temperature == 0f;
    }

    public SamplingParams withTemperature(float v) {
        return new SamplingParams(v, topK, topP, minP, presencePenalty, frequencyPenalty, repetitionPenalty, penaltyWindow, seed);
    }

    public SamplingParams withTopK(int v) {
        return new SamplingParams(temperature, v, topP, minP, presencePenalty, frequencyPenalty, repetitionPenalty, penaltyWindow, seed);
    }

    public SamplingParams withTopP(float v) {
        return new SamplingParams(temperature, topK, v, minP, presencePenalty, frequencyPenalty, repetitionPenalty, penaltyWindow, seed);
    }

    public SamplingParams withMinP(float v) {
        return new SamplingParams(temperature, topK, topP, v, presencePenalty, frequencyPenalty, repetitionPenalty, penaltyWindow, seed);
    }

    public SamplingParams withPresencePenalty(float v) {
        return new SamplingParams(temperature, topK, topP, minP, v, frequencyPenalty, repetitionPenalty, penaltyWindow, seed);
    }

    public SamplingParams withFrequencyPenalty(float v) {
        return new SamplingParams(temperature, topK, topP, minP, presencePenalty, v, repetitionPenalty, penaltyWindow, seed);
    }

    public SamplingParams withRepetitionPenalty(float v) {
        return new SamplingParams(temperature, topK, topP, minP, presencePenalty, frequencyPenalty, v, penaltyWindow, seed);
    }

    public SamplingParams withPenaltyWindow(int v) {
        return new SamplingParams(temperature, topK, topP, minP, presencePenalty, frequencyPenalty, repetitionPenalty, v, seed);
    }

    public SamplingParams withSeed(Long v) {
        return new SamplingParams(temperature, topK, topP, minP, presencePenalty, frequencyPenalty, repetitionPenalty, penaltyWindow, v);
    }

    @Override
    public String toString() {
        return "temp " + temperature + ", top_k " + topK + ", top_p " + topP + ", min_p " + minP
                + ", presence " + presencePenalty + ", frequency " + frequencyPenalty + ", repetition " + repetitionPenalty
                + (seed == null ? "" : ", seed " + seed);
    }
}
