package dev.qwen4j.generate;

import dev.qwen4j.chat.ChatMessage;
import dev.qwen4j.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Generation on the micro GGUF fixtures (random weights, real Qwen tokenizers and chat templates): the prompt
 * cache, thinking budget, cancellation, seeds, context limits and saved sessions, end to end through
 * {@link Engine} and {@link Chat}.
 */
class ChatAcceptanceTest {
    private static final Map<String, Engine> ENGINES = new ConcurrentHashMap<>();
    private static final String[] TURNS = {"Hello! Who are you?", "What is 2+2?", "And times 3?", "Tell me a short story.", "Thanks, bye."};
    private static final String NO_THINK = "<think>\n\n</think>\n\n";

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

    private static Engine engine(String file) {
        return ENGINES.get(file);
    }

    private static Chat.ReplyOptions options(SamplingParams sampling, int maxTokens) {
        return new Chat.ReplyOptions(sampling, maxTokens, -1, List.of(), LoopPolicy.OFF);
    }

    private static int commonPrefix(int[] a, int[] b) {
        int i = 0;
        while (i < a.length && i < b.length && a[i] == b[i]) i++;
        return i;
    }

    @Test
    void aBadSavedChatLeavesTheCurrentConversationAsItWas(@TempDir Path dir) throws Exception {
        Engine engine = engine("qwen3-micro-F32.gguf");
        Chat chat = engine.newChat(256).thinking(false);
        chat.send("Hello!", options(SamplingParams.greedy(), 4), e -> { });
        List<ChatMessage> before = List.copyOf(chat.messages());
        Path file = dir.resolve("bad.chat");
        for (String attachment : new String[]{"{\"messages\": [1]}", "{\"messages\": \"hi\"}", "not json",
                "{\"model\": \"another\", \"messages\": []}"}) {
            Chat other = engine.newChat(256);
            other.session().save(file, attachment); // the state is valid: only the conversation is bad
            java.io.IOException e = assertThrows(java.io.IOException.class, () -> chat.load(file));
            assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
            assertEquals(before, chat.messages(), "the conversation is kept after: " + e.getMessage());
        }
        GenerationResult next = chat.send("Again?", options(SamplingParams.greedy(), 4), e -> { });
        assertEquals(4, chat.messages().size());
        assertEquals(0, next.usage().cachedTokens(), "the dropped state is rebuilt from the kept messages");
    }

    @ParameterizedTest(name = "{0}, presence penalty {1}")
    @CsvSource({"qwen3-micro-F32.gguf, 0", "qwen3-micro-F32.gguf, 1.5", "qwen35-micro-F32.gguf, 0", "qwen35-micro-F32.gguf, 1.5"})
    void greedyChatWithTheCacheEqualsGreedyChatWithoutItOverFiveTurns(String model, float presencePenalty) {
        Engine engine = engine(model);
        Chat cached = engine.newChat(1024).thinking(false);
        Chat uncached = engine.newChat(1024, PromptCache.Options.disabled()).thinking(false);
        // Greedy decoding; a presence penalty makes the random micro models vary their output instead of
        // repeating the last token, so that the answers depend on every logit.
        Chat.ReplyOptions options = options(SamplingParams.greedy().withPresencePenalty(presencePenalty), 12);
        int[] previousPrompt = null;
        for (int turn = 0; turn < TURNS.length; turn++) {
            cached.add(ChatMessage.user(TURNS[turn]));
            int[] prompt = cached.renderPrompt();
            int[] processedBefore = cached.session().processedTokens();
            GenerationResult a = cached.reply(options, e -> { });
            GenerationResult b = uncached.send(TURNS[turn], options, e -> { });
            assertArrayEquals(b.tokens(), a.tokens(), "turn " + (turn + 1) + " of " + model);
            assertEquals(b.text(), a.text());
            assertEquals(prompt.length, a.usage().promptTokens());
            assertEquals(0, b.usage().cachedTokens());

            int shared = commonPrefix(prompt, processedBefore);
            assertEquals(shared, a.usage().cachedTokens(), "turn " + (turn + 1) + " resumes at the longest shared prefix");
            if (previousPrompt != null) {
                // The previous answer is re-rendered without its think block, so the prompts part at the start of
                // that answer (or a token earlier, if its first characters merge with the header's newline):
                // everything before is reused, nothing after it has to be.
                int previousAnswerStart = previousPrompt.length - engine.tokenizer().encode(NO_THINK, true).length;
                assertTrue(shared >= previousAnswerStart - 1 && shared <= previousAnswerStart,
                        "turn " + (turn + 1) + " resumes at " + shared + ", the previous answer started at " + previousAnswerStart);
                assertEquals(prompt.length - shared, a.usage().processedPromptTokens(), "only new tokens are processed");
            }
            previousPrompt = prompt;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen3-micro-F32.gguf", "qwen35-micro-F32.gguf"})
    void sameSeedGivesTheSameTextAndAnotherSeedAnotherText(String model) {
        Engine engine = engine(model);
        SamplingParams sampling = engine.defaultSampling(false);
        String a = engine.newChat(512).thinking(false).send("Hi", options(sampling.withSeed(7L), 16), e -> { }).text();
        String b = engine.newChat(512).thinking(false).send("Hi", options(sampling.withSeed(7L), 16), e -> { }).text();
        String c = engine.newChat(512).thinking(false).send("Hi", options(sampling.withSeed(8L), 16), e -> { }).text();
        assertEquals(a, b);
        assertNotEquals(a, c);
    }

    @Test
    void thinkingBudgetClosesTheThinkBlockAndTheModelAnswers() {
        Engine engine = engine("qwen35-micro-F32.gguf");
        Chat chat = engine.newChat(512).thinking(true);
        Chat.ReplyOptions options = new Chat.ReplyOptions(engine.defaultSampling(true).withSeed(3L), 24, 6, List.of(), LoopPolicy.OFF);
        GenerationResult r = chat.send("Why is the sky blue?", options, e -> { });
        int[] closing = engine.tokenizer().encode("\n</think>\n\n", true);
        assertArrayEquals(closing, Arrays.copyOfRange(r.tokens(), 6, 6 + closing.length), "</think> forced after 6 reasoning tokens");
        assertFalse(r.reasoning().isEmpty());
        assertFalse(r.text().isEmpty(), "an answer follows the think block");
        assertEquals(r.reasoning(), chat.messages().getLast().reasoning());
    }

    @Test
    void theDefaultContextComesFromTheKvCacheSizeAndTheModelsMaximum() {
        // qwen35-micro: 2 full-attention layers (3 and 7) × K and V × 1 KV head × 64 × 4 bytes
        assertEquals(2 * 2 * 64 * 4, engine("qwen35-micro-F32.gguf").kvBytesPerPosition());
        // qwen3-micro: 4 layers × K and V × 2 KV heads × 32 × 4 bytes
        assertEquals(4 * 2 * 64 * 4, engine("qwen3-micro-F32.gguf").kvBytesPerPosition());
        assertEquals(4096, engine("qwen3-micro-F32.gguf").defaultContextSize(), "a few MiB fit: the trained 4096");
    }

    @Test
    void cancellingStopsBeforeTheNextToken() {
        Chat chat = engine("qwen35-micro-F32.gguf").newChat(512).thinking(false);
        int[] seen = {0};
        GenerationResult r = chat.send("Hello", options(SamplingParams.greedy(), 100), e -> {
            if (e instanceof GenerationEvent.Token && ++seen[0] == 3) chat.cancel();
        });
        assertEquals(FinishReason.CANCELLED, r.finishReason());
        assertEquals(3, r.tokens().length);
    }

    @Test
    void aPromptLongerThanTheContextIsAClearErrorAndChangesNothing() {
        Chat chat = engine("qwen3-micro-F32.gguf").newChat(64);
        PromptTooLongException e = assertThrows(PromptTooLongException.class,
                () -> chat.send("word ".repeat(100), options(SamplingParams.greedy(), 4), ev -> { }));
        assertTrue(e.getMessage().contains("context holds 64"), e.getMessage());
        assertTrue(chat.messages().isEmpty(), "the rejected message is not kept");
        assertEquals(0, chat.session().processedTokens().length);
    }

    @Test
    void droppingOldestTurnsKeepsALongChatWithinTheContext() {
        Chat chat = engine("qwen3-micro-F32.gguf").newChat(160).thinking(false).contextPolicy(Chat.ContextPolicy.DROP_OLDEST);
        chat.system("Be brief.");
        for (String turn : TURNS) chat.send(turn + " " + turn, options(SamplingParams.greedy(), 10), e -> { });
        List<ChatMessage> messages = chat.messages();
        assertEquals("Be brief.", messages.getFirst().content(), "the system prompt is never dropped");
        assertTrue(messages.size() < 1 + 2 * TURNS.length, "older turns were dropped: " + messages.size() + " messages");
        assertEquals(TURNS[4] + " " + TURNS[4], messages.get(messages.size() - 2).content());
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen3-micro-F32.gguf", "qwen35-micro-F32.gguf"})
    void aSavedChatContinuesExactlyLikeTheOriginal(String model, @TempDir Path dir) throws Exception {
        Engine engine = engine(model);
        Chat.ReplyOptions options = options(SamplingParams.greedy().withPresencePenalty(1.5f), 10);
        Chat original = engine.newChat(512).thinking(false);
        original.send(TURNS[0], options, e -> { });
        Path file = dir.resolve("chat.qwen4j");
        original.save(file);

        Chat restored = engine.newChat(512);
        restored.load(file);
        assertEquals(original.messages(), restored.messages());
        assertFalse(restored.thinking());
        GenerationResult a = original.send(TURNS[1], options, e -> { });
        GenerationResult b = restored.send(TURNS[1], options, e -> { });
        assertArrayEquals(a.tokens(), b.tokens());
        assertEquals(a.usage().cachedTokens(), b.usage().cachedTokens(), "the restored state is reused as far as the original's");
        assertTrue(b.usage().cachedTokens() > 0);
    }

    @Test
    void sessionsOnOneEngineRunConcurrentlyWithTheSameResults() throws Exception {
        Engine engine = engine("qwen35-micro-F32.gguf");
        Chat.ReplyOptions options = options(SamplingParams.greedy().withPresencePenalty(1.5f), 12);
        List<String> prompts = List.of(TURNS[0], TURNS[1], TURNS[2]);
        List<int[]> alone = new ArrayList<>();
        for (String p : prompts) alone.add(engine.newChat(256).thinking(false).send(p, options, e -> { }).tokens());
        int[][] together = new int[prompts.size()][];
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            int k = i;
            threads.add(Thread.ofPlatform().start(() ->
                    together[k] = engine.newChat(256).thinking(false).send(prompts.get(k), options, e -> { }).tokens()));
        }
        for (Thread t : threads) t.join();
        for (int i = 0; i < prompts.size(); i++) assertArrayEquals(alone.get(i), together[i]);
    }
}
