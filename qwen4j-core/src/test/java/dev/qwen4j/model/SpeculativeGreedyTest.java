package dev.qwen4j.model;

import dev.qwen4j.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Prompt-lookup drafts verified in batches give exactly the greedy output, with fewer forward passes. */
class SpeculativeGreedyTest {
    private static LanguageModel qwen35;
    private static LanguageModel qwen3;

    @BeforeAll
    static void load() throws IOException {
        qwen35 = Models.load(Fixtures.model("qwen35-micro-Q8_0.gguf"), LoadOptions.defaults().withThreads(2));
        qwen3 = Models.load(Fixtures.model("qwen3-micro-Q8_0.gguf"), LoadOptions.defaults().withThreads(2));
    }

    @AfterAll
    static void close() {
        qwen35.close();
        qwen3.close();
    }

    private static LanguageModel model(String arch) {
        return arch.equals("qwen35") ? qwen35 : qwen3;
    }

    /** A prompt that repeats itself, as code edits and quoted documents do. */
    private static int[] repetitivePrompt(int vocab) {
        int[] phrase = ModelTesting.randomIds(5, 12, vocab);
        int[] p = new int[0];
        for (int i = 0; i < 3; i++) p = ModelTesting.concat(p, phrase);
        return p;
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "qwen35"})
    void outputIsTheGreedyOutputWithFewerPasses(String arch) {
        LanguageModel m = model(arch);
        int[] prompt = repetitivePrompt(m.vocabSize());
        int count = 60;
        int[] expected = ModelTesting.plainGreedy(m, prompt, count);

        ModelState s = m.newState(256);
        float[] logits = new float[m.vocabSize()];
        m.forward(s, prompt, 0, prompt.length, logits, false);
        List<Integer> got = new ArrayList<>();
        SpeculativeGreedy.Stats stats = new SpeculativeGreedy(m, PromptLookup.defaults(), 6)
                .generate(s, prompt, prompt.length, logits, count, t -> got.add(t));
        assertArrayEquals(expected, got.stream().mapToInt(Integer::intValue).toArray(), arch);
        assertEquals(count, stats.generated());
        assertEquals(prompt.length + count - 1, s.position(), "the state holds all but the last token");
        System.out.printf("%s: %d tokens in %d forward passes, %d drafted, %d accepted (%.0f%%)%n", arch, stats.generated(),
                stats.forwardPasses(), stats.drafted(), stats.accepted(), 100 * stats.acceptanceRate());
        assertTrue(stats.accepted() > 0, arch + ": no draft accepted " + stats);
        assertTrue(stats.forwardPasses() < count, arch + ": " + stats);
        // A pass emits its accepted drafts and one more token: taking rejected drafts back cost no pass of its own
        // (truncation, or on Qwen3.5 the pass's trail).
        assertTrue(stats.forwardPasses() <= stats.generated() - stats.accepted(), arch + ": passes spent on rewinding " + stats);
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "qwen35"})
    void stoppingInsideAcceptedDraftsLeavesTheStateOfAPlainLoop(String arch) {
        LanguageModel m = model(arch);
        int[] prompt = repetitivePrompt(m.vocabSize());
        int[] expected = ModelTesting.plainGreedy(m, prompt, 40);
        for (int stop : new int[] {1, 7, 23}) {
            ModelState s = m.newState(256);
            float[] logits = new float[m.vocabSize()];
            m.forward(s, prompt, 0, prompt.length, logits, false);
            List<Integer> got = new ArrayList<>();
            new SpeculativeGreedy(m, PromptLookup.defaults(), 6).generate(s, prompt, prompt.length, logits, 100, t -> {
                got.add(t);
                return got.size() < stop;
            });
            assertEquals(stop, got.size());
            assertEquals(prompt.length + stop - 1, s.position());
            // continuing from the state with the last emitted token gives the plain loop's next token
            m.forward(s, new int[] {got.get(stop - 1)}, 0, 1, logits, false);
            assertEquals(expected[stop], SpeculativeGreedy.argmax(logits, 0, logits.length), arch + " stop " + stop);
        }
    }

    @Test
    void stateMustHoldTheHistory() {
        ModelState s = qwen3.newState(16);
        assertThrows(IllegalArgumentException.class, () -> new SpeculativeGreedy(qwen3, PromptLookup.defaults(), 4)
                .generate(s, new int[] {1, 2}, 2, new float[qwen3.vocabSize()], 4, t -> true));
    }

    @Test
    void lookupProposesWhatFollowedTheLatestLongestMatch() {
        PromptLookup lookup = new PromptLookup(1, 3);
        int[] draft = new int[4];
        // "5 6 7" occurred twice; the latest occurrence is followed by 8 9 3, then the copy runs into its own end
        int[] text = {5, 6, 7, 1, 2, 5, 6, 7, 8, 9, 3, 5, 6, 7};
        assertEquals(4, lookup.draft(text, text.length, 4, draft));
        assertArrayEquals(new int[] {8, 9, 3, 5}, draft);
        assertEquals(2, lookup.draft(text, text.length, 2, draft));
        assertEquals(0, lookup.draft(new int[] {1, 2, 3}, 3, 4, draft), "no earlier occurrence of the last token");
        // a 1-gram match when no longer one exists
        int[] text2 = {4, 1, 9, 3, 4};
        assertEquals(4, lookup.draft(text2, text2.length, 4, draft));
        assertArrayEquals(new int[] {1, 9, 3, 4}, draft);
    }

    @Test
    void periodicTextDraftsWholePeriods() {
        int[] draft = new int[5];
        int[] text = {7, 1, 2, 1, 2, 1, 2};
        assertEquals(5, new PromptLookup(1, 3).draft(text, text.length, 5, draft));
        assertArrayEquals(new int[] {1, 2, 1, 2, 1}, draft);
    }
}
