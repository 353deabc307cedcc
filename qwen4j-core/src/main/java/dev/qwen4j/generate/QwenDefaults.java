package dev.qwen4j.generate;

/**
 * The sampling settings and thinking default Qwen recommends for each model family, size and mode
 * (QWEN_SPEC.md §7.1, from the model cards). Every value can be overridden per request.
 */
public final class QwenDefaults {
    private QwenDefaults() {
    }

    /** Qwen3.5 up to 2B (0.8B, 2B) have their own card rows and think only when asked. */
    private static final long SMALL_QWEN35_PARAMS = 3_000_000_000L;

    /**
     * @param architecture   {@code general.architecture}: qwen2, qwen3 or qwen35
     * @param parameterCount total weights (0 if unknown: treated as a small model)
     * @param thinking       whether this request thinks
     */
    public static SamplingParams sampling(String architecture, long parameterCount, boolean thinking) {
        return switch (architecture) {
            case "qwen35" -> isSmall(parameterCount)
                    // 0.8B / 2B cards: non-thinking 1.0/1.0/20/0 presence 2.0; thinking 1.0/0.95/20/0 presence 1.5
                    ? (thinking ? SamplingParams.of(1.0f, 20, 0.95f, 0f, 1.5f) : SamplingParams.of(1.0f, 20, 1.0f, 0f, 2.0f))
                    // 4B / 9B cards: thinking 1.0/0.95/20/0 presence 1.5; non-thinking general 0.7/0.8/20/0 presence 1.5
                    : (thinking ? SamplingParams.of(1.0f, 20, 0.95f, 0f, 1.5f) : SamplingParams.of(0.7f, 20, 0.8f, 0f, 1.5f));
            // Qwen3: thinking 0.6/0.95/20/0 (also generation_config.json), non-thinking 0.7/0.8/20/0
            case "qwen3" -> thinking ? SamplingParams.of(0.6f, 20, 0.95f, 0f, 0f) : SamplingParams.of(0.7f, 20, 0.8f, 0f, 0f);
            // Qwen2.5-Instruct generation_config.json: 0.7/0.8/20 with repetition penalty 1.05
            case "qwen2" -> SamplingParams.of(0.7f, 20, 0.8f, 0f, 0f).withRepetitionPenalty(1.05f);
            default -> SamplingParams.of(0.7f, 20, 0.8f, 0f, 0f);
        };
    }

    /** Whether a request thinks when it does not say: Qwen3 and Qwen3.5 ≥ 4B yes, Qwen3.5 0.8B/2B and Qwen2 no. */
    public static boolean thinkingByDefault(String architecture, long parameterCount) {
        return switch (architecture) {
            case "qwen35" -> !isSmall(parameterCount);
            case "qwen3" -> true;
            default -> false;
        };
    }

    /** Whether the family has think blocks at all. */
    public static boolean supportsThinking(String architecture) {
        return architecture.equals("qwen3") || architecture.equals("qwen35");
    }

    private static boolean isSmall(long parameterCount) {
        return parameterCount < SMALL_QWEN35_PARAMS;
    }
}
