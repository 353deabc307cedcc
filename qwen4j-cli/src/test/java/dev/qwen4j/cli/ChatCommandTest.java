package dev.qwen4j.cli;

import dev.qwen4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code qwen4j chat} in a real JVM: lines on stdin, answers on stdout, timing lines on stderr. */
class ChatCommandTest {
    private static final String QWEN35 = Fixtures.model("qwen35-micro-F32.gguf").toString();
    private static final Pattern SUMMARY = Pattern.compile("\\[(\\d+) tokens, [\\d.]+ tok/s, (\\d+) cached, (\\d+) new prompt tokens");

    /** (tokens, cached, new prompt tokens) of each answer's summary line. */
    private static List<int[]> summaries(String err) {
        Matcher m = SUMMARY.matcher(err);
        List<int[]> out = new java.util.ArrayList<>();
        while (m.find()) out.add(new int[]{Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))});
        return out;
    }

    private static CliProcess chat(String... extra) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("chat", QWEN35, "-n", "8", "--no-think", "--greedy", "--presence-penalty", "1.5"));
        args.addAll(List.of(extra));
        return CliProcess.start(args.toArray(String[]::new));
    }

    @Test
    void multiTurnChatReusesThePreviousTurnsAndTheCommandsWork(@TempDir Path dir) throws Exception {
        Path saved = dir.resolve("conversation.qwen4j");
        try (CliProcess p = chat()) {
            p.write("Hello!\n");
            p.write("What is 2+2?\n");
            p.write("/stats\n");
            p.write("/think\n");
            p.write("/think off\n");
            p.write("/save " + saved + "\n");
            p.write("/clear\n");
            p.write("/stats\n");
            p.write("/load " + saved + "\n");
            p.write("And times 3?\n");
            p.write("/nonsense\n");
            p.write("/exit\n");
            assertEquals(0, p.waitFor(120), p.err());
            String out = p.out();
            List<int[]> turns = summaries(p.err());
            assertEquals(3, turns.size(), p.err());
            // Each turn reuses the whole previous prompt except its 4-token "<think>\n\n</think>\n\n" suffix, which
            // the template drops when it re-renders the previous answer; after /clear and /load, the saved state
            // is reused just as far.
            assertEquals(0, turns.get(0)[1], "the first turn has nothing cached");
            assertEquals(turns.get(0)[2] - 4, turns.get(1)[1], p.err());
            assertEquals(turns.get(1)[1] + turns.get(1)[2] - 4, turns.get(2)[1], p.err());

            assertTrue(out.contains("context: "), out);
            assertTrue(out.contains("4 messages"), "/stats counts two turns: " + out);
            assertTrue(out.contains("thinking on\n") && out.contains("thinking off\n"), out);
            assertTrue(out.contains("saved 4 messages to " + saved), out);
            assertTrue(out.contains("conversation cleared"), out);
            assertTrue(out.contains("0 messages"), "/stats after /clear: " + out);
            assertTrue(out.contains("loaded 4 messages from " + saved), out);
            assertTrue(out.contains("unknown command /nonsense"), out);
            assertTrue(Files.size(saved) > 0);
        }
    }

    @Test
    void ctrlCCancelsTheAnswerAndTheChatGoesOn() throws Exception {
        // qwen2-micro decoding greedily never ends its turn: it repeats itself until the context (4096) is full.
        String qwen2 = Fixtures.model("qwen2-micro-F32.gguf").toString();
        try (CliProcess p = CliProcess.start(true, "chat", qwen2, "--greedy", "--loops", "off")) {
            p.write("Write a very long story.\n");
            p.awaitOutput(out -> out.length() > 0, 60);
            p.interrupt();
            p.write("/stats\n");
            p.awaitOutput(out -> out.contains("last answer"), 60);
            p.closeInput(); // Ctrl-D
            assertEquals(0, p.waitFor(60), p.err());
            assertTrue(p.err().contains("[cancelled]"), p.err());
            assertTrue(p.out().contains("finish cancelled"), p.out());
        }
    }

    @Test
    void endOfInputQuitsCleanly() throws Exception {
        try (CliProcess p = chat()) {
            p.write("Hi\n");
            p.closeInput();
            assertEquals(0, p.waitFor(60), p.err());
            assertEquals(1, summaries(p.err()).size(), p.err());
        }
    }

    @Test
    void loadingAMissingFileIsReportedAndTheChatGoesOn(@TempDir Path dir) throws Exception {
        try (CliProcess p = chat()) {
            p.write("/load " + dir.resolve("nope") + "\n");
            p.write("Hi\n");
            p.write("/exit\n");
            assertEquals(0, p.waitFor(60), p.err());
            assertTrue(p.err().contains("qwen4j: cannot load"), p.err());
            assertEquals(1, summaries(p.err()).size(), p.err());
        }
    }

    @Test
    void aConversationOutgrowingTheContextIsReportedOrItsOldestTurnsDropped() throws Exception {
        String turns = "Tell me about the sea and the sky.\n".repeat(4) + "/stats\n/exit\n";
        try (CliProcess strict = CliProcess.start("chat", QWEN35, "-n", "8", "--no-think", "--greedy", "--ctx", "96")) {
            strict.write(turns);
            assertEquals(0, strict.waitFor(120), strict.err());
            assertTrue(strict.err().contains("qwen4j: the prompt is "), strict.err());
            assertTrue(strict.err().contains("context holds 96"), strict.err());
        }
        try (CliProcess dropping = CliProcess.start("chat", QWEN35, "-n", "8", "--no-think", "--greedy", "--ctx", "96", "--drop-oldest")) {
            dropping.write(turns);
            assertEquals(0, dropping.waitFor(120), dropping.err());
            assertEquals(4, summaries(dropping.err()).size(), dropping.err());
            assertTrue(!dropping.err().contains("the prompt is "), dropping.err());
        }
    }
}
