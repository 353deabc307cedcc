package dev.qwen4j.cli;

import dev.qwen4j.generate.SamplingParams;
import picocli.CommandLine.Option;

/** Sampling flags; whatever is not given keeps Qwen's recommended value for the model and mode. */
final class SamplingOptions {
    @Option(names = "--temp", paramLabel = "T", description = "Temperature (0 = greedy).")
    Float temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Keep the K most likely tokens (0 = all).")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling threshold (1 = off).")
    Float topP;

    @Option(names = "--min-p", paramLabel = "P", description = "Drop tokens below P times the most likely one.")
    Float minP;

    @Option(names = "--presence-penalty", paramLabel = "X", description = "Penalty for tokens already in the answer.")
    Float presencePenalty;

    @Option(names = "--frequency-penalty", paramLabel = "X", description = "Penalty per repetition of a token in the answer.")
    Float frequencyPenalty;

    @Option(names = "--repeat-penalty", paramLabel = "X", description = "Repetition penalty over the context (1 = off).")
    Float repetitionPenalty;

    @Option(names = "--seed", paramLabel = "N", description = "Random seed: the same seed gives the same answer.")
    Long seed;

    @Option(names = "--greedy", description = "Always take the most likely token (same as --temp 0).")
    boolean greedy;

    SamplingParams apply(SamplingParams defaults) {
        SamplingParams p = defaults;
        if (greedy) p = p.withTemperature(0f);
        if (temperature != null) p = p.withTemperature(temperature);
        if (topK != null) p = p.withTopK(topK);
        if (topP != null) p = p.withTopP(topP);
        if (minP != null) p = p.withMinP(minP);
        if (presencePenalty != null) p = p.withPresencePenalty(presencePenalty);
        if (frequencyPenalty != null) p = p.withFrequencyPenalty(frequencyPenalty);
        if (repetitionPenalty != null) p = p.withRepetitionPenalty(repetitionPenalty);
        if (seed != null) p = p.withSeed(seed);
        return p;
    }
}
