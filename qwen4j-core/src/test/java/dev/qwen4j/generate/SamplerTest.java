package dev.qwen4j.generate;

import org.junit.jupiter.api.Test;

import java.util.BitSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplerTest {

    private static int sampleOnce(SamplingParams p, float[] logits, int[] context) {
        return new Sampler(p, logits.length, null, 0).sample(logits.clone(), context, context.length);
    }

    @Test
    void greedyTakesTheLargestLogitAndBreaksTiesTowardsTheLowestId() {
        float[] logits = {0.5f, 2f, -1f, 2f, 1.9f};
        assertEquals(1, sampleOnce(SamplingParams.greedy(), logits, new int[0]));
    }

    @Test
    void onlyNaNLogitsAreAnErrorNotTokenZero() {
        // A broken model (e.g. a NaN rms epsilon in the GGUF) gives NaN logits; answering token 0 would hide it.
        float[] nan = {Float.NaN, Float.NaN, Float.NaN};
        var e = assertThrows(IllegalStateException.class, () -> sampleOnce(SamplingParams.greedy(), nan, new int[0]));
        assertTrue(e.getMessage().contains("NaN logits"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> sampleOnce(SamplingParams.of(0.7f, 20, 0.9f, 0f, 0f).withSeed(1L), nan, new int[0]));
        assertEquals(2, sampleOnce(SamplingParams.greedy(), new float[]{Float.NaN, 1f, 3f}, new int[0]));
    }

    @Test
    void nonFinitePenaltiesAreRefused() {
        SamplingParams p = SamplingParams.greedy();
        for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            assertThrows(IllegalArgumentException.class, () -> p.withPresencePenalty(bad));
            assertThrows(IllegalArgumentException.class, () -> p.withFrequencyPenalty(bad));
            assertThrows(IllegalArgumentException.class, () -> p.withRepetitionPenalty(bad));
        }
        assertEquals(-2f, p.withPresencePenalty(-2f).presencePenalty());
    }

    @Test
    void greedyNeverPicksABannedToken() {
        float[] logits = {0.5f, 2f, 9f};
        BitSet banned = new BitSet();
        banned.set(2);
        assertEquals(1, new Sampler(SamplingParams.greedy(), 3, banned, 0).sample(logits, new int[0], 0));
    }

    @Test
    void topKOfOneIsGreedyWhateverTheTemperature() {
        float[] logits = {0.1f, 0.3f, 0.2f, 0.29f};
        Sampler s = new Sampler(SamplingParams.of(5f, 1, 1f, 0f, 0f).withSeed(7L), 4, null, 0);
        for (int i = 0; i < 50; i++) assertEquals(1, s.sample(logits.clone(), new int[0], 0));
    }

    @Test
    void sameSeedGivesTheSameDrawsAndAnotherSeedOtherDraws() {
        float[] flat = new float[50];
        SamplingParams p = SamplingParams.of(1f, 0, 1f, 0f, 0f);
        int[] a = draws(new Sampler(p.withSeed(42L), 50, null, 0), flat, 30);
        int[] b = draws(new Sampler(p.withSeed(42L), 50, null, 0), flat, 30);
        int[] c = draws(new Sampler(p.withSeed(43L), 50, null, 0), flat, 30);
        assertEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b));
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(c));
    }

    @Test
    void aNullSeedUsesTheFallbackSeedAndReportsIt() {
        Sampler s = new Sampler(SamplingParams.of(1f, 0, 1f, 0f, 0f), 4, null, 99);
        assertEquals(99, s.seed());
    }

    @Test
    void drawsFollowTheSoftmaxProbabilities() {
        // p = 0.75 / 0.25
        float[] logits = {(float) Math.log(3), 0f};
        Sampler s = new Sampler(SamplingParams.of(1f, 0, 1f, 0f, 0f).withSeed(1L), 2, null, 0);
        int zeros = 0;
        for (int i = 0; i < 4000; i++) if (s.sample(logits.clone(), new int[0], 0) == 0) zeros++;
        assertEquals(0.75, zeros / 4000.0, 0.03);
    }

    @Test
    void temperatureSharpensTheDistribution() {
        float[] logits = {(float) Math.log(3), 0f};
        Sampler s = new Sampler(SamplingParams.of(0.25f, 0, 1f, 0f, 0f).withSeed(1L), 2, null, 0);
        int zeros = 0;
        for (int i = 0; i < 4000; i++) if (s.sample(logits.clone(), new int[0], 0) == 0) zeros++;
        // at T = 1/4 the odds become 3^4 = 81 : 1
        assertEquals(81 / 82.0, zeros / 4000.0, 0.01);
    }

    @Test
    void topPKeepsOnlyTheNucleus() {
        // p ≈ 0.665, 0.245, 0.090: top_p 0.6 keeps only the first
        float[] logits = {2f, 1f, 0f};
        Sampler s = new Sampler(SamplingParams.of(1f, 0, 0.6f, 0f, 0f).withSeed(3L), 3, null, 0);
        for (int i = 0; i < 200; i++) assertEquals(0, s.sample(logits.clone(), new int[0], 0));
        Sampler wider = new Sampler(SamplingParams.of(1f, 0, 0.9f, 0f, 0f).withSeed(3L), 3, null, 0);
        boolean sawSecond = false;
        for (int i = 0; i < 200; i++) {
            int t = wider.sample(logits.clone(), new int[0], 0);
            assertTrue(t != 2, "token 2 lies outside the 0.9 nucleus");
            sawSecond |= t == 1;
        }
        assertTrue(sawSecond);
    }

    @Test
    void minPDropsUnlikelyTokens() {
        // p ∝ 1, e^-1 ≈ 0.37, e^-3 ≈ 0.05: min_p 0.2 drops the last
        float[] logits = {3f, 2f, 0f};
        Sampler s = new Sampler(SamplingParams.of(1f, 0, 1f, 0.2f, 0f).withSeed(5L), 3, null, 0);
        for (int i = 0; i < 500; i++) assertNotEquals(2, s.sample(logits.clone(), new int[0], 0));
    }

    @Test
    void topKLimitsTheCandidatesWithTiesGoingToLowerIds() {
        float[] logits = {1f, 5f, 5f, 5f, 0f};
        Sampler s = new Sampler(SamplingParams.of(1f, 2, 1f, 0f, 0f).withSeed(9L), 5, null, 0);
        for (int i = 0; i < 300; i++) {
            int t = s.sample(logits.clone(), new int[0], 0);
            assertTrue(t == 1 || t == 2, "top-2 of three equal logits are ids 1 and 2, got " + t);
        }
    }

    @Test
    void aLargeTopKUsesTheSortedPathWithTheSameResultAsAll() {
        float[] logits = new float[1000];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) Math.sin(i);
        int[] a = draws(new Sampler(SamplingParams.of(1f, 500, 1f, 0f, 0f).withSeed(11L), 1000, null, 0), logits, 40);
        for (int t : a) assertTrue(Math.sin(t) >= -0.0032, "token " + t + " is outside the top 500");
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOfSeenTokens() {
        float[] logits = {2.0f, 1.5f, -1f, -1.2f};
        // token 0 seen: 2.0/2 = 1.0 < 1.5 → token 1 wins
        assertEquals(1, sampleOnce(SamplingParams.greedy().withRepetitionPenalty(2f), logits, new int[]{0}));
        float[] negative = {-1f, -1.5f};
        // token 0 seen: −1·2 = −2 < −1.5 → token 1 wins
        assertEquals(1, sampleOnce(SamplingParams.greedy().withRepetitionPenalty(2f), negative, new int[]{0, 0}));
    }

    @Test
    void repetitionPenaltyLooksOnlyAtTheWindow() {
        float[] logits = {2.0f, 1.5f};
        SamplingParams p = SamplingParams.greedy().withRepetitionPenalty(2f).withPenaltyWindow(2);
        assertEquals(0, sampleOnce(p, logits, new int[]{0, 1, 1}), "token 0 is outside the last-2 window");
    }

    @Test
    void presencePenaltyAppliesToTokensOfThisResponse() {
        float[] logits = {2.0f, 1.5f};
        Sampler s = new Sampler(SamplingParams.greedy().withPresencePenalty(1f), 2, null, 0);
        assertEquals(0, s.sample(logits.clone(), new int[0], 0));
        s.accept(0);
        assertEquals(1, s.sample(logits.clone(), new int[0], 0));
    }

    @Test
    void frequencyPenaltyGrowsWithEachOccurrence() {
        float[] logits = {2.0f, 1.2f};
        Sampler s = new Sampler(SamplingParams.greedy().withFrequencyPenalty(0.5f), 2, null, 0);
        s.accept(0);
        assertEquals(0, s.sample(logits.clone(), new int[0], 0), "2.0 − 0.5 = 1.5 still beats 1.2");
        s.accept(0);
        assertEquals(1, s.sample(logits.clone(), new int[0], 0), "2.0 − 1.0 = 1.0 loses to 1.2");
    }

    @Test
    void presenceWindowForgetsOldTokens() {
        float[] logits = {2.0f, 1.5f, 0f};
        Sampler s = new Sampler(SamplingParams.greedy().withPresencePenalty(1f).withPenaltyWindow(2), 3, null, 0);
        s.accept(0);
        s.accept(2);
        s.accept(2);
        assertEquals(0, s.sample(logits.clone(), new int[0], 0), "token 0 left the last-2 window");
    }

    @Test
    void qwenDefaultsFollowTheModelCards() {
        SamplingParams small = QwenDefaults.sampling("qwen35", 800_000_000L, false);
        assertEquals(1.0f, small.temperature());
        assertEquals(2.0f, small.presencePenalty());
        assertEquals(20, small.topK());
        SamplingParams qwen3Thinking = QwenDefaults.sampling("qwen3", 600_000_000L, true);
        assertEquals(0.6f, qwen3Thinking.temperature());
        assertEquals(0.95f, qwen3Thinking.topP());
        SamplingParams big = QwenDefaults.sampling("qwen35", 9_000_000_000L, false);
        assertEquals(0.7f, big.temperature());
        assertEquals(0.8f, big.topP());
        assertTrue(QwenDefaults.thinkingByDefault("qwen35", 9_000_000_000L));
        assertTrue(!QwenDefaults.thinkingByDefault("qwen35", 800_000_000L));
    }

    @Test
    void tokenCountsFollowASlidingWindow() {
        TokenCounts counts = new TokenCounts(10, 3);
        for (int t : new int[]{1, 2, 2, 3, 3, 3}) counts.add(t);
        java.util.Map<Integer, Integer> seen = new java.util.TreeMap<>();
        counts.forEach((id, n) -> {
            seen.put(id, n);
            return 0;
        });
        assertEquals(java.util.Map.of(3, 3), seen, "only the last 3 tokens count");
    }

    @Test
    void withoutTopKEveryTokenCanBeDrawnInProportion() {
        float[] logits = new float[300];
        logits[7] = (float) Math.log(3); // p(7) = 3/302, every other token 1/302
        Sampler s = new Sampler(SamplingParams.of(1f, 0, 1f, 0f, 0f).withSeed(2L), 300, null, 0);
        int sevens = 0;
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int i = 0; i < 30000; i++) {
            int t = s.sample(logits.clone(), new int[0], 0);
            seen.add(t);
            if (t == 7) sevens++;
        }
        assertEquals(300, seen.size());
        assertEquals(3 / 302.0, sevens / 30000.0, 0.003);
    }

    @Test
    void hopelessTokensAreNeverDrawn() {
        float[] logits = new float[1000];
        java.util.Arrays.fill(logits, -100f);
        logits[1] = 0f;
        logits[2] = -1f;
        Sampler s = new Sampler(SamplingParams.of(1f, 0, 1f, 0f, 0f).withSeed(4L), 1000, null, 0);
        for (int i = 0; i < 500; i++) assertTrue(s.sample(logits.clone(), new int[0], 0) <= 2);
    }

    private static int[] draws(Sampler s, float[] logits, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = s.sample(logits.clone(), new int[0], 0);
        return out;
    }
}
