package dev.qwen4j.generate;

import dev.qwen4j.model.ModelState;
import org.junit.jupiter.api.Test;

import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PromptCacheTest {
    private final FakeModel model = new FakeModel(true, 0);
    private final float[] logits = new float[FakeVocabulary.MODEL_ROWS];

    private void feed(PromptCache cache, int[] tokens, int from, int to) {
        model.forward(cache.state(), tokens, from, to - from, logits, false);
        cache.appended(tokens, from, to - from);
    }

    private static int[] tokens(int n) {
        return IntStream.range(0, n).map(i -> FakeVocabulary.LETTER_A + i % 26).toArray();
    }

    @Test
    void resumesAtTheLatestCheckpointInsideTheSharedPrefix() {
        PromptCache cache = new PromptCache(model.newState(100), new PromptCache.Options(0, 8, 1 << 20));
        int[] t = tokens(30);
        feed(cache, t, 0, 10);
        cache.checkpoint(PromptCache.Kind.TURN_START);
        feed(cache, t, 10, 20);
        cache.checkpoint(PromptCache.Kind.END);
        feed(cache, t, 20, 30);
        int[] edited = t.clone();
        edited[15] = FakeVocabulary.DIGIT_0;
        assertEquals(10, cache.prepare(edited), "position 15 differs: the checkpoint at 10 is the latest before it");
        assertEquals(10, cache.state().position());
        assertEquals(1, cache.checkpointCount(), "the checkpoint at 20 lies past the divergence and is dropped");
    }

    @Test
    void withoutAUsableCheckpointItStartsOver() {
        PromptCache cache = new PromptCache(model.newState(100), new PromptCache.Options(0, 8, 1 << 20));
        int[] t = tokens(20);
        feed(cache, t, 0, 20);
        assertEquals(20, cache.prepare(tokens(25)), "a continuation needs no rewinding");
        int[] edited = tokens(25);
        edited[5] = FakeVocabulary.DIGIT_0;
        assertEquals(0, cache.prepare(edited), "the hybrid state cannot be rewound without a checkpoint");
        assertEquals(0, cache.state().position());
    }

    @Test
    void evictsPeriodicCheckpointsFirstThenTheOldest() {
        PromptCache cache = new PromptCache(model.newState(100), new PromptCache.Options(0, 3, 1 << 20));
        int[] t = tokens(50);
        feed(cache, t, 0, 10);
        cache.checkpoint(PromptCache.Kind.TURN_START);   // 10
        feed(cache, t, 10, 20);
        cache.checkpoint(PromptCache.Kind.PERIODIC);     // 20
        feed(cache, t, 20, 30);
        cache.checkpoint(PromptCache.Kind.END);          // 30
        feed(cache, t, 30, 40);
        cache.checkpoint(PromptCache.Kind.TURN_START);   // 40: the periodic one at 20 goes
        assertEquals(3, cache.checkpointCount());
        int[] edited = t.clone();
        edited[25] = FakeVocabulary.DIGIT_0;
        assertEquals(10, cache.prepare(edited), "20 was evicted, so a divergence at 25 resumes from 10");

        PromptCache full = new PromptCache(model.newState(100), new PromptCache.Options(0, 2, 1 << 20));
        feed(full, t, 0, 10);
        full.checkpoint(PromptCache.Kind.TURN_START);
        feed(full, t, 10, 20);
        full.checkpoint(PromptCache.Kind.TURN_START);
        feed(full, t, 20, 30);
        full.checkpoint(PromptCache.Kind.END);           // no periodic ones: the oldest (10) goes
        int[] early = t.clone();
        early[15] = FakeVocabulary.DIGIT_0;
        assertEquals(0, full.prepare(early));
    }

    @Test
    void aMemoryBoundLimitsTheCheckpoints() {
        // each fake checkpoint reports 1000 bytes
        PromptCache cache = new PromptCache(model.newState(100), new PromptCache.Options(0, 10, 2500));
        int[] t = tokens(50);
        for (int end = 10; end <= 50; end += 10) {
            feed(cache, t, end - 10, end);
            cache.checkpoint(PromptCache.Kind.TURN_START);
        }
        assertEquals(2, cache.checkpointCount());
        assertEquals(2000, cache.checkpointBytes());
    }

    @Test
    void anAttentionStateIsTruncatedToTheSharedPrefixWithoutCheckpoints() {
        FakeModel attention = new FakeModel(false, 0);
        PromptCache cache = new PromptCache(attention.newState(100), PromptCache.Options.defaults());
        int[] t = tokens(30);
        attention.forward(cache.state(), t, 0, 30, logits, false);
        cache.appended(t, 0, 30);
        cache.checkpoint(PromptCache.Kind.END);
        assertEquals(0, cache.checkpointCount(), "a truncatable state needs no checkpoints");
        int[] edited = t.clone();
        edited[17] = FakeVocabulary.DIGIT_0;
        assertEquals(17, cache.prepare(edited));
        ModelState s = cache.state();
        assertEquals(17, s.position());
    }
}
