package dev.qwen4j.model;

import dev.qwen4j.model.synthetic.SyntheticModel;
import dev.qwen4j.tensor.GgmlType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Qwen3.5's MTP block as a draft head: its math against the spec's reference, its bookkeeping, its drafts verified. */
class DraftHeadTest {
    @TempDir
    static Path dir;
    private static Path file;
    private static LanguageModel model;

    @BeforeAll
    static void load() throws Exception {
        file = dir.resolve("mtp.gguf");
        SyntheticModel.write(file, SyntheticModel.preset("qwen3.5-micro").withMtpLayers(1), GgmlType.F32, 7);
        model = Models.load(file, LoadOptions.defaults().withThreads(2));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static float[] draftLogits(ModelState s, int next) {
        float[] l = ((Decoder) model).draftLogits((DecoderState) s, next);
        return l == null ? null : l.clone();
    }

    /** The head's logits after a prompt and a next token, against the double-precision reference of §4.9. */
    @ParameterizedTest
    @ValueSource(ints = {2, 9, Decoder.CHUNK + 6})          // the last: the prompt runs in several chunks
    void draftLogitsMatchTheSpecReference(int n) throws Exception {
        int[] ids = ModelTesting.randomIds(n, n, model.vocabSize());
        ModelState s = model.newState(Decoder.CHUNK + 32);
        assertTrue(model.enableDraftHead(s));
        model.forward(s, ids, 0, n - 1, new float[model.vocabSize()], false);
        float[] engine = draftLogits(s, ids[n - 1]);
        double[] expected;
        try (ReferenceModel ref = new ReferenceModel(file)) {
            for (int i = 0; i < n - 2; i++) {
                ref.next(ids[i]);
                ref.draft(ids[i + 1]);
            }
            ref.next(ids[n - 2]);
            expected = ref.draft(ids[n - 1]);
        }
        double e = LogitMetrics.relL2(engine, 0, ModelTesting.toFloat(expected), 0, model.vocabSize());
        assertTrue(e < 1e-5, "prompt " + n + ": rel-L2 " + e);
    }

    /**
     * Verify passes whose drafts are kept or taken back (through the trail), a checkpoint restored, single tokens:
     * afterwards the head guesses exactly as on a fresh state fed the kept tokens at once.
     */
    @Test
    void afterAcceptedAndRejectedDraftsTheHeadEqualsAFreshOne() {
        int vocab = model.vocabSize();
        float[] rows = new float[2 * vocab];
        int[] prompt = ModelTesting.randomIds(31, 20, vocab);
        ModelState s = model.newState(96);
        model.enableDraftHead(s);
        assertTrue(s.keepTrail(2));
        model.forward(s, prompt, 0, prompt.length, rows, false);
        List<Integer> kept = new ArrayList<>();
        for (int p : prompt) kept.add(p);
        int[] next = ModelTesting.randomIds(32, 12, vocab);
        ModelState.Checkpoint checkpoint = null;
        int checkpointLength = 0;
        for (int i = 0; i < next.length; i++) {
            int x = next[i];
            if (i == 4) model.draftNext(s, (x + 7) % vocab);     // a guess for another token first: replaced below
            int guess = model.draftNext(s, x);
            assertTrue(guess >= 0 && guess < vocab, "step " + i + ": a guess");
            if (i == 5) {
                checkpoint = s.checkpoint();
                checkpointLength = kept.size();
            }
            if (i % 3 == 2) {                                   // no draft this step: a single token
                model.forward(s, new int[] {x}, 0, 1, rows, false);
                kept.add(x);
                continue;
            }
            int draft = i % 3 == 0 ? guess : (guess + 1) % vocab;
            model.forward(s, new int[] {x, draft}, 0, 2, rows, true);
            kept.add(x);
            if (i % 3 == 0) kept.add(draft);                    // accepted
            else s.truncate(s.position() - 1);                  // rejected: taken back through the trail
        }
        assertEquals(kept.size(), s.position());
        int last = 17;
        double run = LogitMetrics.relL2(draftLogits(s, last), 0, freshDraft(kept, last), 0, vocab);
        assertTrue(run < 1e-5, "after the run: rel-L2 " + run);   // batches and single tokens round differently
        // Rewound to a checkpoint: the checkpoint kept the head's row, so it guesses as a fresh one at once and on.
        s.restore(checkpoint);
        List<Integer> upTo = new ArrayList<>(kept.subList(0, checkpointLength));
        double restored = LogitMetrics.relL2(draftLogits(s, last), 0, freshDraft(upTo, last), 0, vocab);
        assertTrue(restored < 1e-5, "right after restore: rel-L2 " + restored);
        model.forward(s, new int[] {last, 5}, 0, 2, new float[2 * vocab], true);
        upTo.add(last);
        upTo.add(5);
        double after = LogitMetrics.relL2(draftLogits(s, 9), 0, freshDraft(upTo, 9), 0, vocab);
        assertTrue(after < 1e-5, "after restore and a pass: rel-L2 " + after);
    }

    private static float[] freshDraft(List<Integer> tokens, int next) {
        int[] ids = tokens.stream().mapToInt(Integer::intValue).toArray();
        ModelState fresh = model.newState(96);
        model.enableDraftHead(fresh);
        model.forward(fresh, ids, 0, ids.length, new float[model.vocabSize()], false);
        return draftLogits(fresh, next);
    }

    @Test
    void draftsOfTheHeadLeaveGreedyOutputUnchanged() {
        int vocab = model.vocabSize();
        int[] prompt = ModelTesting.randomIds(41, 16, vocab);
        int count = 40;
        int[] expected = ModelTesting.plainGreedy(model, prompt, count);
        float[] logits = new float[vocab];
        ModelState s = model.newState(96);
        model.enableDraftHead(s);
        model.forward(s, prompt, 0, prompt.length, logits, false);
        List<Integer> got = new ArrayList<>();
        SpeculativeGreedy.Stats stats = new SpeculativeGreedy(model, Drafter.draftHead(model), 1)
                .generate(s, prompt, prompt.length, logits, count, got::add);
        assertArrayEquals(expected, got.stream().mapToInt(Integer::intValue).toArray());
        assertTrue(stats.drafted() > 0, "the head drafted: " + stats);
        assertEquals(prompt.length + count - 1, s.position());
    }

    @Test
    void modelsWithoutTheBlockHaveNoHead() throws Exception {
        Path plain = dir.resolve("plain.gguf");
        SyntheticModel.write(plain, SyntheticModel.preset("qwen3.5-micro"), GgmlType.F32, 7);
        try (LanguageModel m = Models.load(plain, LoadOptions.defaults().withThreads(1))) {
            assertFalse(m.hasDraftHead());
            ModelState s = m.newState(8);
            assertFalse(m.enableDraftHead(s));
            assertEquals(-1, m.draftNext(s, 3));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Drafter.draftHead(m));
            assertTrue(e.getMessage().contains("no draft head"), e.getMessage());
        }
        assertTrue(model.hasDraftHead());
        ModelState s = model.newState(8);
        assertEquals(-1, model.draftNext(s, 3), "not enabled");
        model.enableDraftHead(s);
        assertEquals(-1, model.draftNext(s, 3), "nothing fed yet");
        assertThrows(IllegalArgumentException.class, () -> model.draftNext(s, model.vocabSize()));
    }
}
