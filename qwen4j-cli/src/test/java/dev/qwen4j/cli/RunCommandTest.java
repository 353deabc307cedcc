package dev.qwen4j.cli;

import dev.qwen4j.json.Json;
import dev.qwen4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code qwen4j run} in a real JVM, as a user runs it. */
class RunCommandTest {
    private static final String QWEN3 = Fixtures.model("qwen3-micro-F32.gguf").toString();
    private static final String QWEN35 = Fixtures.model("qwen35-micro-F32.gguf").toString();

    record Result(int exitCode, String out, String err) {
        Map<String, Object> json() {
            return Json.parseObject(out.strip());
        }
    }

    static Result run(String stdin, String... args) throws Exception {
        try (CliProcess p = CliProcess.start(args)) {
            if (stdin != null) p.write(stdin);
            p.closeInput();
            int code = p.waitFor(120);
            return new Result(code, p.out(), p.err());
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> usage(Result r) {
        return (Map<String, Object>) r.json().get("usage");
    }

    @Test
    void streamsTheAnswerAndPrintsStatsOnRequest() throws Exception {
        Result r = run(null, "run", QWEN3, "Hello there", "-n", "6", "--no-think", "--seed", "1", "--stats");
        assertEquals(0, r.exitCode(), r.err());
        assertFalse(r.out().isEmpty());
        assertTrue(r.out().endsWith("\n"));
        assertTrue(r.err().contains("6 tokens"), r.err());
        assertTrue(r.err().contains("finish: length"), r.err());
    }

    @Test
    void jsonOutputHasTextUsageAndFinishReason() throws Exception {
        Result r = run(null, "run", QWEN35, "Hello there", "-n", "5", "--no-think", "--json", "--greedy");
        assertEquals(0, r.exitCode(), r.err());
        Map<String, Object> json = r.json();
        assertEquals("length", json.get("finish_reason"));
        assertEquals(5L, usage(r).get("completion_tokens"));
        assertEquals(0L, usage(r).get("cached_tokens"));
        assertTrue((Long) usage(r).get("prompt_tokens") > 5);
        assertTrue(json.containsKey("text") && json.containsKey("reasoning") && json.containsKey("tool_calls"));
    }

    @Test
    void theSameSeedGivesTheSameTextAndAnotherSeedAnother() throws Exception {
        Result a = run(null, "run", QWEN35, "Tell me a story", "-n", "12", "--no-think", "--json", "--seed", "42");
        Result b = run(null, "run", QWEN35, "Tell me a story", "-n", "12", "--no-think", "--json", "--seed", "42");
        Result c = run(null, "run", QWEN35, "Tell me a story", "-n", "12", "--no-think", "--json", "--seed", "43");
        assertEquals(a.json().get("text"), b.json().get("text"));
        assertEquals(42L, a.json().get("seed"));
        assertNotEquals(a.json().get("text"), c.json().get("text"));
    }

    @Test
    void thinkingBudgetEndsReasoningAndTheModelAnswers() throws Exception {
        Result r = run(null, "run", QWEN35, "Why?", "--think", "--thinking-budget", "4", "-n", "16", "--seed", "5", "--json");
        assertEquals(0, r.exitCode(), r.err());
        assertFalse(((String) r.json().get("reasoning")).isEmpty());
        assertFalse(((String) r.json().get("text")).isEmpty());
    }

    @Test
    void reasoningGoesToStderrOrIsHidden() throws Exception {
        Result shown = run(null, "run", QWEN35, "Why?", "--think", "--thinking-budget", "4", "-n", "10", "--seed", "5");
        assertEquals(0, shown.exitCode(), shown.err());
        assertTrue(shown.err().contains("[thinking]") && shown.err().contains("[/thinking]"), shown.err());
        assertFalse(shown.out().contains("[thinking]"));
        Result hidden = run(null, "run", QWEN35, "Why?", "--think", "--thinking-budget", "4", "-n", "10", "--seed", "5", "--reasoning", "hide");
        assertFalse(hidden.err().contains("[thinking]"), hidden.err());
        assertEquals(shown.out(), hidden.out());
    }

    @Test
    void readsThePromptFromStdin() throws Exception {
        Result fromArg = run(null, "run", QWEN3, "Hello from stdin", "-n", "4", "--no-think", "--json", "--greedy");
        Result fromStdin = run("Hello from stdin", "run", QWEN3, "-", "-n", "4", "--no-think", "--json", "--greedy");
        assertEquals(0, fromStdin.exitCode(), fromStdin.err());
        assertEquals(fromArg.json().get("text"), fromStdin.json().get("text"));
        assertEquals(usage(fromArg).get("prompt_tokens"), usage(fromStdin).get("prompt_tokens"));
    }

    @Test
    void aPromptLongerThanTheContextIsOneClearLine() throws Exception {
        Result r = run(null, "run", QWEN3, "word ".repeat(200), "--ctx", "64", "-n", "4");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().startsWith("qwen4j: the prompt is "), r.err());
        assertTrue(r.err().contains("context holds 64"), r.err());
        assertTrue(r.err().strip().endsWith("; use a larger --ctx or a shorter prompt"), "advice that fits run: " + r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line, no stack trace: " + r.err());
    }

    @Test
    void aMissingModelIsOneClearLineAndVerboseAddsTheTrace() throws Exception {
        Result r = run(null, "run", "/no/such/model.gguf", "Hi");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().startsWith("qwen4j: no such file: /no/such/model.gguf"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        Result verbose = run(null, "run", "/no/such/model.gguf", "Hi", "--verbose");
        assertTrue(verbose.err().contains("\tat dev.qwen4j."), verbose.err());
    }

    @Test
    void aContextBeyondTheModelsMaximumIsRejected() throws Exception {
        Result r = run(null, "run", QWEN3, "Hi", "--ctx", "100000");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("maximum context of 4096"), r.err());
    }

    @Test
    void ctrlCStopsTheAnswerKeepsWhatWasPrintedAndExitsWith130() throws Exception {
        // qwen2-micro decoding greedily never ends its turn on its own
        String qwen2 = Fixtures.model("qwen2-micro-F32.gguf").toString();
        try (CliProcess p = CliProcess.start(true, "run", qwen2, "Write", "--greedy", "--loops", "off")) {
            p.awaitOutput(out -> out.length() > 20, 60);
            p.interrupt();
            assertEquals(130, p.waitFor(60), p.err());
            assertTrue(p.err().contains("qwen4j: cancelled"), p.err());
            assertTrue(p.out().length() > 20);
        }
    }
}
