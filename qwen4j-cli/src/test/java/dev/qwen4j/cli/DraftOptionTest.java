package dev.qwen4j.cli;

import dev.qwen4j.json.Json;
import dev.qwen4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --draft N}: speculative decoding prints the same greedy answer as without it. */
class DraftOptionTest {
    private static final String PROMPT = "the cat sat on the mat, the cat sat on the mat, the cat sat on the mat, the cat";

    @Test
    void runWithDraftsPrintsTheSameGreedyTextForBothArchitectures() {
        for (String model : new String[]{"qwen3-micro-F32.gguf", "qwen35-micro-F32.gguf"}) {
            String path = Fixtures.model(model).toString();
            CliRunner.Run plain = CliRunner.run("run", path, PROMPT, "-n", "30", "--no-think", "--greedy");
            CliRunner.Run drafted = CliRunner.run("run", path, PROMPT, "-n", "30", "--no-think", "--greedy", "--draft", "4", "--stats");
            assertEquals(0, plain.exit(), plain.err());
            assertEquals(0, drafted.exit(), drafted.err());
            assertFalse(plain.out().isBlank(), model);
            assertEquals(plain.out(), drafted.out(), model);
            assertTrue(drafted.err().contains("accepted"), "--stats reports the drafts: " + drafted.err());
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void jsonUsageCountsDraftedAndAcceptedTokens() {
        CliRunner.Run r = CliRunner.run("run", Fixtures.model("qwen3-micro-F32.gguf").toString(), PROMPT, "-n", "30",
                "--no-think", "--greedy", "--draft", "4", "--json");
        assertEquals(0, r.exit(), r.err());
        Map<String, Object> usage = (Map<String, Object>) Json.parseObject(r.out().strip()).get("usage");
        long drafted = (Long) usage.get("drafted_tokens");
        long accepted = (Long) usage.get("accepted_tokens");
        assertTrue(drafted > 0 && accepted > 0 && accepted <= drafted, usage.toString());
    }

    @Test
    void aNegativeDraftIsAOneLineError() {
        CliRunner.Run r = CliRunner.run("run", Fixtures.model("qwen3-micro-F32.gguf").toString(), "hi", "--greedy", "--draft", "-1");
        assertTrue(r.exit() != 0);
        assertTrue(r.err().contains("--draft must be ≥ 0"), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }
}
