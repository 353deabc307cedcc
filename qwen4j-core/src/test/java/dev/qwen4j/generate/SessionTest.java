package dev.qwen4j.generate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static dev.qwen4j.generate.FakeVocabulary.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SessionTest {
    private final FakeVocabulary vocab = new FakeVocabulary();
    private static final String NO_THINK = "<think>\n\n</think>\n\n";

    private Session session(FakeModel model, PromptCache.Options options) {
        return new Session(model, vocab, 512, options);
    }

    private static GenerationRequest greedy(int[] prompt) {
        return GenerationRequest.builder(prompt).maxTokens(40).build();
    }

    /** Five chat turns as Qwen3.5 renders them: thinking off, and history drops the think block of earlier answers. */
    private static final String[] USER = {"hello", "yes", "the world", "no", "ok"};

    private int[] historyAfter(int[] history, String user, int[] answer) {
        int[] turn = vocab.encode("<|im_start|>user\n" + user + "<|im_end|>\n<|im_start|>assistant\n");
        int[] end = vocab.encode("<|im_end|>\n");
        int answerLength = answer.length > 0 && vocab.isEndOfGeneration(answer[answer.length - 1]) ? answer.length - 1 : answer.length;
        int[] out = Arrays.copyOf(history, history.length + turn.length + answerLength + end.length);
        System.arraycopy(turn, 0, out, history.length, turn.length);
        System.arraycopy(answer, 0, out, history.length + turn.length, answerLength);
        System.arraycopy(end, 0, out, history.length + turn.length + answerLength, end.length);
        return out;
    }

    private int[] prompt(int[] history, String user) {
        int[] turn = vocab.encode("<|im_start|>user\n" + user + "<|im_end|>\n<|im_start|>assistant\n" + NO_THINK);
        int[] out = Arrays.copyOf(history, history.length + turn.length);
        System.arraycopy(turn, 0, out, history.length, turn.length);
        return out;
    }

    private static int commonPrefix(int[] a, int[] b) {
        int i = 0;
        while (i < a.length && i < b.length && a[i] == b[i]) i++;
        return i;
    }

    @ParameterizedTest(name = "hybrid={0}")
    @ValueSource(booleans = {true, false})
    void cachedChatMatchesUncachedChatOverFiveTurnsAndProcessesOnlyNewTokens(boolean hybrid) {
        FakeModel cachedModel = new FakeModel(hybrid, 9);
        FakeModel plainModel = new FakeModel(hybrid, 9);
        Session cached = session(cachedModel, PromptCache.Options.defaults());
        Session plain = session(plainModel, PromptCache.Options.disabled());
        int[] history = new int[0];
        for (int turn = 0; turn < USER.length; turn++) {
            int[] prompt = prompt(history, USER[turn]);
            int[] before = cached.processedTokens();
            long processedBefore = cachedModel.processed.get();
            GenerationResult a = cached.generate(greedy(prompt), e -> { });
            GenerationResult b = plain.generate(greedy(prompt), e -> { });
            assertArrayEquals(b.tokens(), a.tokens(), "turn " + turn);
            assertEquals(b.text(), a.text());
            assertEquals(FinishReason.STOP, a.finishReason());
            assertEquals(0, b.usage().cachedTokens(), "the cache-less session reprocesses everything");

            int shared = commonPrefix(prompt, before);
            assertEquals(shared, a.usage().cachedTokens(), "turn " + turn + " resumes at the longest shared prefix");
            if (turn > 0) assertTrue(shared > history.length - 15, "turn " + turn + ": only the last answer is re-rendered");
            long processed = cachedModel.processed.get() - processedBefore;
            assertEquals(prompt.length - shared + a.usage().decodedTokens(), processed, "only new tokens go through the model");
            history = historyAfter(history, USER[turn], a.tokens());
        }
    }

    @Test
    void aRepeatedPromptReusesAllButItsLastTokenOnAnAttentionModel() {
        Session s = session(new FakeModel(false, 6), PromptCache.Options.defaults());
        int[] prompt = vocab.chatPrompt("", "hello", NO_THINK);
        GenerationResult first = s.generate(greedy(prompt), e -> { });
        GenerationResult again = s.generate(greedy(prompt), e -> { });
        assertArrayEquals(first.tokens(), again.tokens());
        assertEquals(prompt.length - 1, again.usage().cachedTokens());
    }

    @Test
    void aRepeatedPromptResumesAtTheAnswerStartOnAHybridModel() {
        Session s = session(new FakeModel(true, 6), PromptCache.Options.defaults());
        int[] prompt = vocab.chatPrompt("", "hello", NO_THINK);
        GenerationResult first = s.generate(greedy(prompt), e -> { });
        GenerationResult again = s.generate(greedy(prompt), e -> { });
        assertArrayEquals(first.tokens(), again.tokens());
        assertEquals(prompt.length - vocab.encode(NO_THINK).length, again.usage().cachedTokens(),
                "the checkpoint right after <|im_start|>assistant\\n");
    }

    @Test
    void aPromptThatKeepsTheAnswerAsGeneratedResumesAtTheAnswersEnd() {
        // e.g. a tool-call turn, which the template re-renders with its reasoning, exactly as generated
        Session s = session(new FakeModel(true, 6), PromptCache.Options.defaults());
        s.generate(greedy(vocab.chatPrompt("", "hello", NO_THINK)), e -> { });
        int[] processed = s.processedTokens();
        int[] next = vocab.encode("<|im_end|>\n<|im_start|>user\nok<|im_end|>\n<|im_start|>assistant\n");
        int[] prompt = Arrays.copyOf(processed, processed.length + next.length);
        System.arraycopy(next, 0, prompt, processed.length, next.length);
        GenerationResult r = s.generate(greedy(prompt), e -> { });
        assertEquals(processed.length, r.usage().cachedTokens());
        GenerationResult fresh = session(new FakeModel(true, 6), PromptCache.Options.disabled()).generate(greedy(prompt), e -> { });
        assertArrayEquals(fresh.tokens(), r.tokens());
    }

    @Test
    void periodicCheckpointsLetALongPromptResumeInTheMiddle() {
        FakeModel model = new FakeModel(true, 6);
        Session s = new Session(model, vocab, 512, new PromptCache.Options(16, 8, 1 << 20));
        int[] longPrompt = vocab.chatPrompt("", "abcdefghijklmnopqrstuvwxyz".repeat(3), NO_THINK);
        s.generate(greedy(longPrompt), e -> { });
        int[] edited = longPrompt.clone();
        edited[40] = LETTER_A + 25; // change a token in the middle of the user text
        GenerationResult r = s.generate(greedy(edited), e -> { });
        assertEquals(32, r.usage().cachedTokens(), "resumes from the checkpoint at 32, the last before position 40");
        GenerationResult fresh = session(new FakeModel(true, 6), PromptCache.Options.disabled()).generate(greedy(edited), e -> { });
        assertArrayEquals(fresh.tokens(), r.tokens());
    }

    @Test
    void checkpointsStayWithinTheirBound() {
        FakeModel model = new FakeModel(true, 0);
        Session s = new Session(model, vocab, 512, new PromptCache.Options(8, 3, 1 << 20));
        s.generate(GenerationRequest.builder(vocab.chatPrompt("", "hello world hello world", NO_THINK)).maxTokens(100).build(), e -> { });
        assertTrue(s.promptCache().checkpointCount() <= 3);
        assertTrue(s.promptCache().checkpointCount() >= 2);
    }

    @Test
    void cancellingFromTheListenerStopsBeforeTheNextToken() {
        FakeModel model = new FakeModel(true, 0);
        Session s = session(model, PromptCache.Options.defaults());
        List<Integer> seen = new ArrayList<>();
        GenerationResult r = s.generate(GenerationRequest.builder(vocab.chatPrompt("", "hello", NO_THINK)).build(), e -> {
            if (e instanceof GenerationEvent.Token t) {
                seen.add(t.id());
                if (seen.size() == 3) s.cancel();
            }
        });
        assertEquals(FinishReason.CANCELLED, r.finishReason());
        assertEquals(3, r.tokens().length);
        assertEquals(3, seen.size());
    }

    @Test
    void cancellingFromAnotherThreadStopsBeforeTheNextToken() throws Exception {
        Session s = session(new FakeModel(true, 0), PromptCache.Options.defaults());
        CountDownLatch atFifth = new CountDownLatch(1);
        CountDownLatch cancelled = new CountDownLatch(1);
        GenerationResult[] result = new GenerationResult[1];
        Thread generator = Thread.ofPlatform().start(() -> result[0] = s.generate(
                GenerationRequest.builder(vocab.chatPrompt("", "hello", NO_THINK)).build(), e -> {
                    if (e instanceof GenerationEvent.Token && atFifth.getCount() > 0 && ++seenTokens == 5) {
                        atFifth.countDown();
                        try {
                            cancelled.await(10, TimeUnit.SECONDS); // hold the generator until cancel() has returned
                        } catch (InterruptedException ex) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }));
        assertTrue(atFifth.await(10, TimeUnit.SECONDS));
        s.cancel();
        cancelled.countDown();
        generator.join();
        assertEquals(FinishReason.CANCELLED, result[0].finishReason());
        assertEquals(5, result[0].tokens().length);
    }

    private int seenTokens;

    @Test
    void aStreamDeliversEventsInOrderEndingWithDone() {
        Session s = session(new FakeModel(true, 12), PromptCache.Options.defaults());
        StringBuilder text = new StringBuilder();
        GenerationResult result = null;
        try (GenerationStream stream = s.stream(greedy(vocab.chatPrompt("", "hello", NO_THINK)))) {
            while (stream.hasNext()) {
                GenerationEvent e = stream.next();
                if (e instanceof GenerationEvent.Text t) text.append(t.text());
                if (e instanceof GenerationEvent.Done d) result = d.result();
            }
        }
        assertEquals(FinishReason.STOP, result.finishReason());
        assertEquals(result.text(), text.toString());
    }

    @Test
    void closingAStreamCancelsIt() {
        FakeModel model = new FakeModel(true, 0);
        Session s = session(model, PromptCache.Options.defaults());
        GenerationStream stream = s.stream(GenerationRequest.builder(vocab.chatPrompt("", "hello", NO_THINK)).build());
        stream.next();
        stream.close();
        // the session is free again, and the context was not filled up
        GenerationResult r = s.generate(greedy(vocab.chatPrompt("", "ok", NO_THINK)), e -> { });
        assertTrue(r.tokens().length <= 40);
        assertTrue(model.processed.get() < 500);
    }

    @Test
    void thinkingBudgetClosesTheThinkBlockAndTheModelAnswers() {
        FakeModel model = new FakeModel(true, 0);
        Session s = session(model, PromptCache.Options.defaults());
        int[] prompt = vocab.chatPrompt("", "hello", "<think>\n");
        List<GenerationEvent> events = new ArrayList<>();
        GenerationResult r = s.generate(GenerationRequest.builder(prompt).maxTokens(20).thinkingBudget(8).build(), events::add);
        int[] closing = vocab.encode("\n</think>\n\n");
        assertArrayEquals(closing, Arrays.copyOfRange(r.tokens(), 8, 8 + closing.length), "forced after 8 thinking tokens");
        assertFalse(r.reasoning().isEmpty());
        assertFalse(r.reasoning().endsWith("\n"));
        assertFalse(r.text().isEmpty(), "the model answers after the think block");
        assertFalse(r.text().startsWith("\n"));
        int lastReasoning = -1, firstText = -1;
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i) instanceof GenerationEvent.Reasoning) lastReasoning = i;
            if (events.get(i) instanceof GenerationEvent.Text && firstText < 0) firstText = i;
        }
        assertTrue(lastReasoning < firstText, "reasoning streams before the answer");
    }

    @Test
    void aZeroBudgetClosesTheThinkBlockBeforeAnyReasoning() {
        Session s = session(new FakeModel(true, 12), PromptCache.Options.defaults());
        GenerationResult r = s.generate(GenerationRequest.builder(vocab.chatPrompt("", "hello", "<think>\n"))
                .maxTokens(30).thinkingBudget(0).build(), e -> { });
        int[] closing = vocab.encode("\n</think>\n\n");
        assertArrayEquals(closing, Arrays.copyOf(r.tokens(), closing.length));
        assertEquals("", r.reasoning());
        assertFalse(r.text().isEmpty());
        assertEquals(FinishReason.STOP, r.finishReason());
    }

    @Test
    void withoutABudgetThinkingRunsOnAndTheAnswerStaysEmpty() {
        FakeModel model = new FakeModel(true, 0);
        Session s = session(model, PromptCache.Options.defaults());
        GenerationResult r = s.generate(GenerationRequest.builder(vocab.chatPrompt("", "hello", "<think>\n"))
                .maxTokens(20).loopPolicy(LoopPolicy.OFF).build(), e -> { });
        assertEquals("", r.text());
        assertEquals(20, r.usage().reasoningTokens());
        assertEquals(FinishReason.LENGTH, r.finishReason());
    }

    @Test
    void aThinkingLoopIsBrokenByClosingTheThinkBlock() {
        FakeModel model = new FakeModel(true, 0);
        model.loopPeriod = 3;
        Session s = session(model, PromptCache.Options.defaults());
        GenerationResult r = s.generate(GenerationRequest.builder(vocab.chatPrompt("", "hello", "<think>\n"))
                .maxTokens(200).build(), e -> { });
        int close = IntStream.range(0, r.tokens().length).filter(i -> r.tokens()[i] == END_THINK).findFirst().orElse(-1);
        assertTrue(close > 0 && close < 100, "the think block was closed at " + close);
        assertEquals(FinishReason.LOOP, r.finishReason(), "the answer loops too, so it is stopped");
    }

    @Test
    void aLoopIsStoppedWhenThePolicySaysStop() {
        FakeModel model = new FakeModel(true, 0);
        model.loopPeriod = 4;
        Session s = session(model, PromptCache.Options.defaults());
        GenerationResult r = s.generate(GenerationRequest.builder(vocab.chatPrompt("", "hello", "<think>\n"))
                .maxTokens(200).loopPolicy(LoopPolicy.STOP).build(), e -> { });
        assertEquals(FinishReason.LOOP, r.finishReason());
        assertTrue(r.tokens().length < 100);
        assertEquals("", r.text());
    }

    @Test
    void sameSeedGivesTheSameTextAndAnotherSeedAnotherText() {
        int[] prompt = vocab.chatPrompt("", "hello", NO_THINK);
        SamplingParams sampled = SamplingParams.of(1.0f, 20, 0.95f, 0f, 1.5f);
        GenerationRequest r42 = GenerationRequest.builder(prompt).maxTokens(30).sampling(sampled.withSeed(42L)).build();
        GenerationRequest r43 = GenerationRequest.builder(prompt).maxTokens(30).sampling(sampled.withSeed(43L)).build();
        String a = session(new FakeModel(true, 0), PromptCache.Options.defaults()).generate(r42, e -> { }).text();
        String b = session(new FakeModel(true, 0), PromptCache.Options.defaults()).generate(r42, e -> { }).text();
        String c = session(new FakeModel(true, 0), PromptCache.Options.defaults()).generate(r43, e -> { }).text();
        assertEquals(a, b);
        assertNotEquals(a, c);
    }

    @Test
    void aPromptLongerThanTheContextIsAClearError() {
        Session s = new Session(new FakeModel(true, 0), vocab, 16, PromptCache.Options.defaults());
        int[] prompt = vocab.chatPrompt("", "hello world hello world", NO_THINK);
        PromptTooLongException e = assertThrows(PromptTooLongException.class, () -> s.generate(greedy(prompt), ev -> { }));
        assertTrue(e.getMessage().contains(prompt.length + " tokens"), e.getMessage());
        assertTrue(e.getMessage().contains("16"), e.getMessage());
    }

    @Test
    void generationStopsWhenTheContextIsFull() {
        Session s = new Session(new FakeModel(true, 0), vocab, 30, PromptCache.Options.defaults());
        GenerationResult r = s.generate(GenerationRequest.builder(vocab.chatPrompt("", "hello", NO_THINK)).build(), e -> { });
        assertEquals(FinishReason.CONTEXT_FULL, r.finishReason());
        assertEquals(30, s.processedTokens().length);
    }

    @Test
    void stopStringsEndTheAnswerAndAreNotPartOfIt() {
        FakeModel model = new FakeModel(true, 0);
        int[] prompt = vocab.chatPrompt("", "hello", NO_THINK);
        GenerationResult free = session(model, PromptCache.Options.defaults()).generate(greedy(prompt), e -> { });
        String stop = free.text().substring(10, 12);
        int at = free.text().indexOf(stop);
        GenerationResult r = session(new FakeModel(true, 0), PromptCache.Options.defaults())
                .generate(GenerationRequest.builder(prompt).maxTokens(40).stopStrings(List.of(stop)).build(), e -> { });
        assertEquals(FinishReason.STOP, r.finishReason());
        assertEquals(free.text().substring(0, at), r.text());
    }

    @Test
    void streamedTextAddsUpToTheResultAndEndsWithDone() {
        StringBuilder streamed = new StringBuilder();
        List<GenerationEvent> events = new ArrayList<>();
        GenerationResult r = session(new FakeModel(true, 12), PromptCache.Options.defaults())
                .generate(greedy(vocab.chatPrompt("", "hello", NO_THINK)), e -> {
                    events.add(e);
                    if (e instanceof GenerationEvent.Text t) streamed.append(t.text());
                });
        assertEquals(r.text(), streamed.toString());
        assertTrue(events.getLast() instanceof GenerationEvent.Done);
        assertTrue(events.getFirst() instanceof GenerationEvent.PromptProgress);
        assertEquals(r.usage().completionTokens(), r.tokens().length);
        assertEquals(IM_END, r.tokens()[r.tokens().length - 1]);
    }

    @Test
    void unusedRowsAreNeverSampled() {
        GenerationResult r = session(new FakeModel(true, 0), PromptCache.Options.defaults())
                .generate(GenerationRequest.builder(vocab.chatPrompt("", "hello", NO_THINK)).maxTokens(30).build(), e -> { });
        for (int t : r.tokens()) assertTrue(t < FakeVocabulary.SIZE, "token " + t + " is a padding row");
    }

    @ParameterizedTest(name = "hybrid={0}")
    @ValueSource(booleans = {true, false})
    void aSavedSessionContinuesLikeTheOriginal(boolean hybrid, @TempDir Path dir) throws Exception {
        Session original = session(new FakeModel(hybrid, 7), PromptCache.Options.defaults());
        int[] p1 = prompt(new int[0], "hello");
        GenerationResult t1 = original.generate(greedy(p1), e -> { });
        Path file = dir.resolve("chat.session");
        original.save(file, "notes: ünïcode");

        FakeModel restoredModel = new FakeModel(hybrid, 7);
        Session restored = session(restoredModel, PromptCache.Options.defaults());
        assertEquals("notes: ünïcode", restored.load(file));
        int[] p2 = prompt(historyAfter(new int[0], "hello", t1.tokens()), "yes");
        GenerationResult a = original.generate(greedy(p2), e -> { });
        GenerationResult b = restored.generate(greedy(p2), e -> { });
        assertArrayEquals(a.tokens(), b.tokens());
        assertEquals(a.usage().cachedTokens(), b.usage().cachedTokens(), "the restored session reuses as much as the original");
        assertTrue(b.usage().cachedTokens() > 0);
    }

    @Test
    void loadingAFileFromAnotherModelIsAClearError(@TempDir Path dir) throws Exception {
        Session hybrid = session(new FakeModel(true, 7), PromptCache.Options.defaults());
        hybrid.generate(greedy(vocab.chatPrompt("", "hello", NO_THINK)), e -> { });
        Path file = dir.resolve("s");
        hybrid.save(file, "");
        Session other = session(new FakeModel(false, 7), PromptCache.Options.defaults());
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> other.load(file));
        assertTrue(e.getMessage().contains("fake-hybrid"), e.getMessage());
        java.nio.file.Files.writeString(file, "garbage");
        assertThrows(java.io.IOException.class, () -> other.load(file));
    }

    @Test
    void aFailedSaveLeavesNoTemporaryFileAndAHostileHeaderIsAClearError(@TempDir Path dir) throws Exception {
        Session s = session(new FakeModel(true, 7), PromptCache.Options.defaults());
        s.generate(greedy(vocab.chatPrompt("", "hello", NO_THINK)), e -> { });
        Path taken = java.nio.file.Files.createDirectory(dir.resolve("taken"));
        assertThrows(java.io.IOException.class, () -> s.save(taken, ""));
        Path nowhere = dir.resolve("nowhere").resolve("s");
        assertEquals("no such folder: " + nowhere.getParent(), assertThrows(java.io.IOException.class, () -> s.save(nowhere, "")).getMessage());
        try (var left = java.nio.file.Files.list(dir)) {
            assertEquals(List.of(taken), left.toList(), "only the directory remains, no .tmp file");
        }
        // A header claiming a negative attachment length, then one claiming more bytes than the file has.
        Path file = dir.resolve("s");
        s.save(file, "note");
        byte[] bytes = java.nio.file.Files.readAllBytes(file);
        int noteAt = 4 + 4 + 2 + "fake-hybrid".length() + 4;
        for (int length : new int[]{-1, Integer.MAX_VALUE}) {
            java.nio.ByteBuffer.wrap(bytes).putInt(noteAt, length);
            java.nio.file.Files.write(file, bytes);
            java.io.IOException e = assertThrows(java.io.IOException.class, () -> s.load(file));
            assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        }
    }

    @Test
    void aBusySessionRefusesASecondRequest() throws Exception {
        Session s = session(new FakeModel(true, 0), PromptCache.Options.defaults());
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread t = Thread.ofPlatform().start(() -> s.generate(GenerationRequest.builder(vocab.chatPrompt("", "hello", NO_THINK)).maxTokens(5).build(), e -> {
            inside.countDown();
            try {
                release.await();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }));
        inside.await();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.generate(greedy(vocab.chatPrompt("", "ok", NO_THINK)), ev -> { }));
        assertTrue(e.getMessage().contains("busy"));
        release.countDown();
        t.join();
    }

    @Test
    void sessionsOnOneModelAreIndependent() throws Exception {
        FakeModel model = new FakeModel(true, 9);
        int[] p = vocab.chatPrompt("", "hello", NO_THINK);
        GenerationResult alone = session(model, PromptCache.Options.defaults()).generate(greedy(p), e -> { });
        List<Thread> threads = new ArrayList<>();
        List<GenerationResult> results = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 4; i++) {
            Session s = session(model, PromptCache.Options.defaults());
            threads.add(Thread.ofPlatform().start(() -> results.add(s.generate(greedy(p), e -> { }))));
        }
        for (Thread t : threads) t.join();
        assertEquals(4, results.size());
        for (GenerationResult r : results) assertArrayEquals(alone.tokens(), r.tokens());
    }
}
