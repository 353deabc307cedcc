package dev.qwen4j.generate;

import dev.qwen4j.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Speculative decoding in {@link Session}: greedy answers with prompt-lookup drafts are the answers without
 * them, token for token, and the state (hence the prompt cache of the next turn) ends exactly where it ends
 * without drafts — also when max tokens, a stop string or a cancel lands inside a draft.
 */
class SpeculativeSessionTest {
    private static final Map<String, Engine> ENGINES = new ConcurrentHashMap<>();
    private static final String REPETITIVE = "the cat sat on the mat, the cat sat on the mat, the cat sat on the mat, the cat";
    private static final String[] TURNS = {REPETITIVE, "Say it again: " + REPETITIVE, "And once more, the cat sat on the mat."};

    @BeforeAll
    static void load() throws Exception {
        for (String name : List.of("qwen3-micro-F32.gguf", "qwen35-micro-F32.gguf")) {
            ENGINES.put(name, Engine.load(Fixtures.model(name)));
        }
    }

    @AfterAll
    static void close() {
        ENGINES.values().forEach(Engine::close);
    }

    private static Chat.ReplyOptions options(float presencePenalty, int maxTokens, List<String> stop, int draft) {
        return new Chat.ReplyOptions(SamplingParams.greedy().withPresencePenalty(presencePenalty), maxTokens, -1, stop,
                LoopPolicy.OFF, draft);
    }

    private static void assertSameAnswer(GenerationResult plain, GenerationResult drafted, String what) {
        assertArrayEquals(plain.tokens(), drafted.tokens(), what);
        assertEquals(plain.text(), drafted.text(), what);
        assertEquals(plain.finishReason(), drafted.finishReason(), what);
        assertEquals(plain.usage().cachedTokens(), drafted.usage().cachedTokens(), what);
    }

    @Test
    void draftsOfTheModelsHeadChangeNothingOverAThreeTurnChat(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = dir.resolve("mtp.gguf");
        dev.qwen4j.model.synthetic.SyntheticModel.write(file,
                dev.qwen4j.model.synthetic.SyntheticModel.preset("qwen3.5-micro").withMtpLayers(1), dev.qwen4j.tensor.GgmlType.F32, 11);
        try (Engine engine = Engine.load(file)) {
            Chat plain = engine.newChat(1024).thinking(false);
            Chat drafting = engine.newChat(1024).thinking(false);
            int drafted = 0;
            for (int turn = 0; turn < TURNS.length; turn++) {
                GenerationResult a = plain.send(TURNS[turn], options(0, 30, List.of(), 0), e -> { });
                Chat.ReplyOptions head = new Chat.ReplyOptions(SamplingParams.greedy(), 30, -1, List.of(), LoopPolicy.OFF, 1, true);
                GenerationResult b = drafting.send(TURNS[turn], head, e -> { });
                String what = "turn " + (turn + 1);
                assertSameAnswer(a, b, what);
                assertArrayEquals(plain.session().processedTokens(), drafting.session().processedTokens(), what + ": the state");
                drafted += b.usage().draftedTokens();
            }
            assertTrue(drafted > 0, "the head drafted");
        }
        Engine noHead = ENGINES.get("qwen35-micro-F32.gguf");
        Chat chat = noHead.newChat(256);
        Chat.ReplyOptions head = new Chat.ReplyOptions(SamplingParams.greedy(), 5, -1, List.of(), LoopPolicy.OFF, 1, true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> chat.send("hi", head, ev -> { }));
        assertTrue(e.getMessage().contains("draft head") || e.getMessage().contains("MTP"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}, presence penalty {1}")
    @CsvSource({"qwen3-micro-F32.gguf, 0", "qwen3-micro-F32.gguf, 1.5", "qwen35-micro-F32.gguf, 0", "qwen35-micro-F32.gguf, 1.5"})
    void draftingChangesNothingOverAThreeTurnChatWithTheCache(String model, float presencePenalty) {
        Engine engine = ENGINES.get(model);
        Chat plain = engine.newChat(1024).thinking(false);
        Chat drafting = engine.newChat(1024).thinking(false);
        int drafted = 0, accepted = 0;
        for (int turn = 0; turn < TURNS.length; turn++) {
            GenerationResult a = plain.send(TURNS[turn], options(presencePenalty, 40, List.of(), 0), e -> { });
            GenerationResult b = drafting.send(TURNS[turn], options(presencePenalty, 40, List.of(), 4), e -> { });
            String what = model + " turn " + (turn + 1);
            assertSameAnswer(a, b, what);
            assertArrayEquals(plain.session().processedTokens(), drafting.session().processedTokens(), what + ": the state");
            assertEquals(0, a.usage().draftedTokens());
            assertEquals(a.usage().decodedTokens(), b.usage().decodedTokens(), "every kept token counts as decoded");
            drafted += b.usage().draftedTokens();
            accepted += b.usage().acceptedTokens();
        }
        System.out.printf("%s, presence penalty %s: %d drafted, %d accepted (%.0f%%)%n", model, presencePenalty,
                drafted, accepted, drafted == 0 ? 0 : 100.0 * accepted / drafted);
        if (presencePenalty == 0) {
            // Without a penalty the random micro models repeat themselves: prompt lookup predicts that.
            assertTrue(drafted > 0 && accepted > 0, model + ": " + drafted + " drafted, " + accepted + " accepted");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen3-micro-F32.gguf", "qwen35-micro-F32.gguf"})
    void maxTokensInsideADraftEndsWhereItWouldAndTheNextTurnStillMatches(String model) {
        Engine engine = ENGINES.get(model);
        int accepted = 0;
        for (int max = 1; max <= 14; max++) {
            Chat plain = engine.newChat(512).thinking(false);
            Chat drafting = engine.newChat(512).thinking(false);
            GenerationResult a = plain.send(REPETITIVE, options(0, max, List.of(), 5), e -> { });
            GenerationResult b = drafting.send(REPETITIVE, options(0, max, List.of(), 0), e -> { });
            assertSameAnswer(b, a, model + " max " + max);
            assertArrayEquals(plain.session().processedTokens(), drafting.session().processedTokens(), "max " + max + ": the state");
            accepted += a.usage().acceptedTokens();
            GenerationResult c = plain.send(TURNS[2], options(0, 12, List.of(), 0), e -> { });
            GenerationResult d = drafting.send(TURNS[2], options(0, 12, List.of(), 0), e -> { });
            assertSameAnswer(c, d, model + " max " + max + ", next turn");
        }
        assertTrue(accepted > 0, "some drafts were accepted, so some limits fell inside them");
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen3-micro-F32.gguf", "qwen35-micro-F32.gguf"})
    void aStopStringInsideADraftEndsWhereItWouldAndTheNextTurnStillMatches(String model) {
        Engine engine = ENGINES.get(model);
        String full = engine.newChat(512).thinking(false).send(REPETITIVE, options(0, 30, List.of(), 0), e -> { }).text();
        assertTrue(full.length() > 6, "the answer is long enough to cut: " + full);
        int checked = 0;
        for (int at = 1; at + 3 <= full.length() && checked < 8; at += Math.max(1, full.length() / 8), checked++) {
            List<String> stop = List.of(full.substring(at, at + 3));
            Chat plain = engine.newChat(512).thinking(false);
            Chat drafting = engine.newChat(512).thinking(false);
            GenerationResult a = plain.send(REPETITIVE, options(0, 30, stop, 0), e -> { });
            GenerationResult b = drafting.send(REPETITIVE, options(0, 30, stop, 4), e -> { });
            assertSameAnswer(a, b, model + " stop " + stop);
            assertArrayEquals(plain.session().processedTokens(), drafting.session().processedTokens(), "stop " + stop + ": the state");
            GenerationResult c = plain.send(TURNS[2], options(0, 12, List.of(), 4), e -> { });
            GenerationResult d = drafting.send(TURNS[2], options(0, 12, List.of(), 0), e -> { });
            assertSameAnswer(d, c, model + " stop " + stop + ", next turn");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen3-micro-F32.gguf", "qwen35-micro-F32.gguf"})
    void cancellingInsideADraftKeepsOnlyTheTokensEmitted(String model) {
        Engine engine = ENGINES.get(model);
        Chat plain = engine.newChat(512).thinking(false);
        Chat drafting = engine.newChat(512).thinking(false);
        int[] seen = {0, 0};
        GenerationResult a = plain.send(REPETITIVE, options(0, 40, List.of(), 0), e -> {
            if (e instanceof GenerationEvent.Token && ++seen[0] == 9) plain.cancel();
        });
        GenerationResult b = drafting.send(REPETITIVE, options(0, 40, List.of(), 4), e -> {
            if (e instanceof GenerationEvent.Token && ++seen[1] == 9) drafting.cancel();
        });
        assertEquals(FinishReason.CANCELLED, b.finishReason());
        assertSameAnswer(a, b, model);
        assertArrayEquals(plain.session().processedTokens(), drafting.session().processedTokens(), "the state");
    }

    @Test
    void draftsAreIgnoredWhenSampling() {
        Engine engine = ENGINES.get("qwen3-micro-F32.gguf");
        Chat.ReplyOptions sampled = new Chat.ReplyOptions(engine.defaultSampling(false).withSeed(5L), 20, -1, List.of(), LoopPolicy.OFF, 4);
        GenerationResult r = engine.newChat(512).thinking(false).send(REPETITIVE, sampled, e -> { });
        assertEquals(0, r.usage().draftedTokens());
        Chat.ReplyOptions plainSampled = new Chat.ReplyOptions(engine.defaultSampling(false).withSeed(5L), 20, -1, List.of(), LoopPolicy.OFF);
        assertEquals(engine.newChat(512).thinking(false).send(REPETITIVE, plainSampled, e -> { }).text(), r.text());
    }

    @Test
    void aNegativeDraftLengthIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> options(0, 1, List.of(), -1));
        assertThrows(IllegalArgumentException.class, () -> GenerationRequest.builder(new int[]{1}).draftTokens(-2).build());
    }
}
