package dev.qwen4j.model;

import dev.qwen4j.model.synthetic.SyntheticModel;
import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Batch vs decode, checkpoints, truncation, saving, overflow and concurrency of {@link ModelState}. */
class ModelStateTest {
    private static LanguageModel qwen35;
    private static LanguageModel qwen3;

    @BeforeAll
    static void load() throws IOException {
        qwen35 = Models.load(Fixtures.model("qwen35-micro-F32.gguf"), LoadOptions.defaults().withThreads(1));
        qwen3 = Models.load(Fixtures.model("qwen3-micro-F32.gguf"), LoadOptions.defaults().withThreads(1));
    }

    @AfterAll
    static void close() {
        qwen35.close();
        qwen3.close();
    }

    private static LanguageModel model(String arch) {
        return arch.equals("qwen35") ? qwen35 : qwen3;
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "qwen35"})
    void promptBatchGivesTheSameLogitsAsDecodingTokenByToken(String arch) {
        LanguageModel m = model(arch);
        int[] ids = ModelTesting.randomIds(11, 2 * Decoder.CHUNK + 22, 2048);   // more than two chunks
        float[] batch = ModelTesting.promptLogits(m, m.newState(ids.length), ids);
        float[] steps = ModelTesting.stepLogits(m, m.newState(ids.length), ids);
        double e = ModelTesting.maxRowRelL2(batch, steps, m.vocabSize());
        assertTrue(e < 1e-5, arch + ": batch vs decode rel-L2 " + e);
    }

    /**
     * With an F16 cache a prompt chunk attends in tiles over widened copies of the cached rows, a decode step over
     * the rows themselves. Keys and values computed by the prompt and the one-token kernels differ in their last
     * float bits, which can flip an F16 rounding: the per-query path on both sides measured 2.1e-5 here, the tiles
     * 4e-5; a wrong row, offset or mask gives 1e-1 and more.
     */
    @ParameterizedTest
    @ValueSource(strings = {"qwen3-micro-F32.gguf", "qwen35-micro-F32.gguf"})
    void promptBatchOnAnF16CacheGivesTheSameLogitsAsDecoding(String file) throws IOException {
        try (LanguageModel m = Models.load(Fixtures.model(file),
                LoadOptions.defaults().withThreads(2).withKvCacheType(LoadOptions.KvCacheType.F16))) {
            int[] ids = ModelTesting.randomIds(13, Decoder.CHUNK + 22, 2048);
            float[] batch = ModelTesting.promptLogits(m, m.newState(ids.length), ids);
            float[] steps = ModelTesting.stepLogits(m, m.newState(ids.length), ids);
            double e = ModelTesting.maxRowRelL2(batch, steps, m.vocabSize());
            assertTrue(e < 1e-4, file + ": F16 cache, batch vs decode rel-L2 " + e);
        }
    }

    @Test
    void lastTokenLogitsEqualTheLastRowOfAllLogits() {
        int[] ids = ModelTesting.randomIds(12, 70, 2048);
        int v = qwen35.vocabSize();
        float[] all = ModelTesting.promptLogits(qwen35, qwen35.newState(80), ids);
        float[] last = new float[v];
        qwen35.forward(qwen35.newState(80), ids, 0, ids.length, last, false);
        ModelTesting.assertSameLogits(java.util.Arrays.copyOfRange(all, (ids.length - 1) * v, ids.length * v), last, v);
    }

    @Test
    void restoringACheckpointOnQwen35EqualsAFreshRecompute() {
        int[] a = ModelTesting.randomIds(1, 30, 2048), b = ModelTesting.randomIds(2, 12, 2048), c = ModelTesting.randomIds(3, 9, 2048);
        ModelState fresh = qwen35.newState(64);
        ModelTesting.promptLogits(qwen35, fresh, a);
        float[] expected = ModelTesting.promptLogits(qwen35, fresh, c);

        ModelState s = qwen35.newState(64);
        ModelTesting.promptLogits(qwen35, s, a);
        ModelState.Checkpoint cp = s.checkpoint();
        assertEquals(30, cp.position());
        assertTrue(cp.byteSize() > 0);
        ModelTesting.promptLogits(qwen35, s, b);
        ModelTesting.stepLogits(qwen35, s, c);
        s.restore(cp);
        assertEquals(30, s.position());
        ModelTesting.assertSameLogits(expected, ModelTesting.promptLogits(qwen35, s, c), qwen35.vocabSize());
    }

    @Test
    void aLaterCheckpointStaysValidAfterRewindingToAnEarlierOne() {
        int[] a = ModelTesting.randomIds(1, 20, 2048), b = ModelTesting.randomIds(2, 15, 2048), c = ModelTesting.randomIds(3, 6, 2048);
        ModelState fresh = qwen35.newState(64);
        ModelTesting.promptLogits(qwen35, fresh, a);
        ModelTesting.promptLogits(qwen35, fresh, b);
        float[] expected = ModelTesting.promptLogits(qwen35, fresh, c);

        ModelState s = qwen35.newState(64);
        ModelTesting.promptLogits(qwen35, s, a);
        ModelState.Checkpoint afterA = s.checkpoint();
        ModelTesting.promptLogits(qwen35, s, b);
        ModelState.Checkpoint afterB = s.checkpoint();
        s.restore(afterA);
        s.restore(afterB);
        assertEquals(35, s.position());
        ModelTesting.assertSameLogits(expected, ModelTesting.promptLogits(qwen35, s, c), qwen35.vocabSize());
        assertThrows(IllegalArgumentException.class, () -> qwen35.newState(64).restore(afterA));
    }

    @Test
    void qwen35CannotTruncateWithoutACheckpoint() {
        ModelState s = qwen35.newState(16);
        assertFalse(s.canTruncate());
        ModelTesting.promptLogits(qwen35, s, ModelTesting.randomIds(6, 3, 2048));
        assertThrows(UnsupportedOperationException.class, () -> s.truncate(0));
        assertThrows(UnsupportedOperationException.class, () -> s.truncate(2));
        s.truncate(3);                                      // to where it is: nothing to take back
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void aPassKeptWithItsTrailTruncatesToEachOfItsTokensAsIfOnlyThoseWereFed(int keep) {
        int[] a = ModelTesting.randomIds(1, 30, 2048), b = ModelTesting.randomIds(2, 4, 2048), c = ModelTesting.randomIds(3, 6, 2048);
        ModelState fresh = qwen35.newState(64);
        ModelTesting.promptLogits(qwen35, fresh, a);
        ModelTesting.promptLogits(qwen35, fresh, java.util.Arrays.copyOf(b, keep));
        float[] expected = ModelTesting.promptLogits(qwen35, fresh, c);

        ModelState s = qwen35.newState(64);
        ModelTesting.promptLogits(qwen35, s, a);
        assertEquals(30, s.truncateFloor(), "nothing kept yet: only the current position");
        assertTrue(s.keepTrail(4));
        ModelTesting.promptLogits(qwen35, s, b);
        assertEquals(31, s.truncateFloor(), "the pass's first token stays");
        assertThrows(UnsupportedOperationException.class, () -> s.truncate(30));
        s.truncate(30 + keep);
        assertEquals(30 + keep, s.position());
        assertEquals(30 + keep, s.truncateFloor(), "a trail is used once");
        ModelTesting.assertSameLogits(expected, ModelTesting.promptLogits(qwen35, s, c), qwen35.vocabSize());
    }

    @Test
    void aPassLongerThanTheTrailCannotBeTakenBack() {
        ModelState s = qwen35.newState(64);
        assertTrue(s.keepTrail(3));
        assertFalse(s.keepTrail(1000), "a trail covers a short pass only");
        assertFalse(s.keepTrail(DecoderState.MAX_TRAIL + 1));
        assertTrue(s.byteSize() < qwen35.newState(64).byteSize() + (DecoderState.MAX_TRAIL) * 64L * 1024 * 1024, "bounded memory");
        assertTrue(s.keepTrail(3));
        ModelTesting.promptLogits(qwen35, s, ModelTesting.randomIds(4, 4, 2048));
        assertEquals(4, s.truncateFloor());
        ModelTesting.promptLogits(qwen35, s, ModelTesting.randomIds(5, 3, 2048));
        assertEquals(5, s.truncateFloor());
        assertTrue(s.keepTrail(0) == false && s.truncateFloor() == 7, "turned off: nothing to take back");
        assertTrue(qwen3.newState(8).keepTrail(5), "attention-only states truncate anywhere");
    }

    @Test
    void truncatingQwen3EqualsAFreshRecompute() {
        int[] a = ModelTesting.randomIds(1, 25, 2048), b = ModelTesting.randomIds(2, 10, 2048), c = ModelTesting.randomIds(3, 7, 2048);
        ModelState fresh = qwen3.newState(64);
        ModelTesting.promptLogits(qwen3, fresh, a);
        float[] expected = ModelTesting.promptLogits(qwen3, fresh, c);

        ModelState s = qwen3.newState(64);
        assertTrue(s.canTruncate());
        ModelTesting.promptLogits(qwen3, s, a);
        ModelTesting.promptLogits(qwen3, s, b);
        s.truncate(25);
        assertEquals(25, s.position());
        ModelTesting.assertSameLogits(expected, ModelTesting.promptLogits(qwen3, s, c), qwen3.vocabSize());
        assertThrows(IllegalArgumentException.class, () -> s.truncate(40));
        // a checkpoint works on dense models too (position only)
        ModelState.Checkpoint cp = s.checkpoint();
        assertEquals(0, cp.byteSize());
    }

    @Test
    void resetStartsOver() {
        int[] a = ModelTesting.randomIds(5, 10, 2048);
        ModelState s = qwen35.newState(32);
        float[] first = ModelTesting.promptLogits(qwen35, s, a);
        s.reset();
        assertEquals(0, s.position());
        ModelTesting.assertSameLogits(first, ModelTesting.promptLogits(qwen35, s, a), qwen35.vocabSize());
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "qwen35"})
    void savedStateRestoresTheSession(String arch) throws IOException {
        LanguageModel m = model(arch);
        int[] a = ModelTesting.randomIds(1, 20, 2048), c = ModelTesting.randomIds(3, 5, 2048);
        ModelState s = m.newState(40);
        ModelTesting.promptLogits(m, s, a);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        s.writeTo(new DataOutputStream(bytes));
        float[] expected = ModelTesting.stepLogits(m, s, c);

        ModelState loaded = m.newState(40);
        ModelTesting.promptLogits(m, loaded, c);     // content to be replaced
        loaded.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertEquals(20, loaded.position());
        ModelTesting.assertSameLogits(expected, ModelTesting.stepLogits(m, loaded, c), m.vocabSize());

        ModelState small = m.newState(10);
        IOException e = assertThrows(IOException.class, () -> small.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))));
        assertTrue(e.getMessage().contains("capacity is 10"), e.getMessage());
        LanguageModel other = model(arch.equals("qwen3") ? "qwen35" : "qwen3");
        IOException wrong = assertThrows(IOException.class,
                () -> other.newState(40).readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))));
        assertTrue(wrong.getMessage().contains("is for a " + arch + " model"), wrong.getMessage());
    }

    @Test
    void f16KvCacheHalvesTheCacheAndSavesAndLoads() throws Exception {
        try (LanguageModel m = Models.load(Fixtures.model("qwen3-micro-F32.gguf"),
                LoadOptions.defaults().withThreads(1).withKvCacheType(LoadOptions.KvCacheType.F16))) {
            int[] a = ModelTesting.randomIds(1, 64, 2048), c = ModelTesting.randomIds(3, 5, 2048);
            ModelState f16 = m.newState(64 + 5), f32 = qwen3.newState(64 + 5);
            float[] approx = ModelTesting.promptLogits(m, f16, a);
            float[] exact = ModelTesting.promptLogits(qwen3, f32, a);
            double e = ModelTesting.maxRowRelL2(approx, exact, 2048);
            assertTrue(e > 0 && e < 3e-3, "F16 vs F32 cache: " + e);
            // 4 layers × (k, v) × 64 positions × 64 values: 4 bytes each in F32, 2 in F16
            assertEquals(4L * 2 * 64 * 64 * 2, f32.byteSize() - f16.byteSize());

            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            f16.writeTo(new DataOutputStream(bytes));
            float[] expected = ModelTesting.stepLogits(m, f16, c);
            ModelState loaded = m.newState(64 + 5);
            loaded.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
            ModelTesting.assertSameLogits(expected, ModelTesting.stepLogits(m, loaded, c), m.vocabSize());
            IOException wrongType = assertThrows(IOException.class,
                    () -> qwen3.newState(69).readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))));
            assertTrue(wrongType.getMessage().contains("saved KV cache is F16"), wrongType.getMessage());
        }
    }

    @Test
    void tokensBeyondTheContextThrowAndLeaveTheStateUnchanged() {
        ModelState s = qwen35.newState(8);
        float[] logits = new float[qwen35.vocabSize()];
        qwen35.forward(s, new int[]{1, 2, 3, 4, 5}, 0, 5, logits, false);
        ContextOverflowException e = assertThrows(ContextOverflowException.class,
                () -> qwen35.forward(s, new int[]{1, 2, 3, 4}, 0, 4, logits, false));
        assertTrue(e.getMessage().contains("context size 8"), e.getMessage());
        assertEquals(5, s.position());
        qwen35.forward(s, new int[]{1, 2, 3}, 0, 3, logits, false);
        assertEquals(8, s.position());
    }

    @Test
    void impossibleContextSizesAreRefusedUpFront() {
        var e = assertThrows(IllegalArgumentException.class, () -> qwen3.newState(Integer.MAX_VALUE));
        assertTrue(e.getMessage().contains("too large"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> qwen3.newState(0));
    }

    @Test
    void tokenIdsOutsideTheVocabularyAreRejected() {
        float[] logits = new float[qwen3.vocabSize()];
        var e = assertThrows(IllegalArgumentException.class, () -> qwen3.forward(qwen3.newState(8), new int[]{5, 2048}, 0, 2, logits, false));
        assertTrue(e.getMessage().contains("token id 2048"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> qwen3.forward(qwen35.newState(8), new int[]{5}, 0, 1, logits, false));
    }

    @Test
    void statesOfOneModelCanRunConcurrently() throws Exception {
        int[][] prompts = new int[4][];
        float[][] expected = new float[4][];
        for (int i = 0; i < 4; i++) {
            prompts[i] = ModelTesting.randomIds(20 + i, 40, 2048);
            expected[i] = ModelTesting.promptLogits(qwen35, qwen35.newState(48), prompts[i]);
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            Future<?>[] futures = new Future<?>[4];
            for (int i = 0; i < 4; i++) {
                int n = i;
                futures[i] = pool.submit(() -> ModelTesting.promptLogits(qwen35, qwen35.newState(48), prompts[n]));
            }
            for (int i = 0; i < 4; i++) ModelTesting.assertSameLogits(expected[i], (float[]) futures[i].get(), qwen35.vocabSize());
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void byteSizeCountsTheRecurrentStateAndGrowingKvCache(@TempDir Path dir) {
        ModelState s = qwen35.newState(1000);
        long empty = s.byteSize();
        // 6 DeltaNet layers × (4 heads × 32 × 32 + 256 channels × 3) floats
        assertTrue(empty >= 6L * 4 * (4 * 32 * 32 + 256 * 3), "byteSize " + empty);
        ModelTesting.promptLogits(qwen35, s, ModelTesting.randomIds(1, 100, 2048));
        assertTrue(s.byteSize() > empty, "KV cache grows with use");
    }
}
