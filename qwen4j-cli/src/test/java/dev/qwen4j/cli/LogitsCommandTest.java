package dev.qwen4j.cli;

import dev.qwen4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogitsCommandTest {
    private static final Pattern PAIR = Pattern.compile("\\[(\\d+),\\s*(-?[0-9.Ee-]+)]");

    @Test
    void printsTheTopLogitsOfEveryPositionLikeLlamaCpp() throws Exception {
        List<String> ref = Files.readAllLines(Fixtures.refs("qwen3-micro-F32.exact.top.jsonl"));
        String model = Fixtures.model("qwen3-micro-F32.gguf").toString();
        CliRunner.Run r = CliRunner.run("logits", "--model", model, "--tokens", "2023,872,198,716,186", "--top", "5", "--threads", "1");
        assertEquals(0, r.exit(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(5, lines.length);
        for (int pos = 0; pos < 5; pos++) {
            assertTrue(lines[pos].startsWith("{\"pos\":" + pos + ",\"token\":" + new int[]{2023, 872, 198, 716, 186}[pos] + ",\"top\":[["), lines[pos]);
            int[] ours = ids(lines[pos]);
            assertEquals(5, ours.length);
            assertArrayEquals(java.util.Arrays.copyOf(ids(ref.get(pos)), 5), ours, "position " + pos);
            Matcher m = PAIR.matcher(lines[pos]);
            float previous = Float.POSITIVE_INFINITY;
            while (m.find()) {
                float logit = Float.parseFloat(m.group(2));
                assertTrue(logit <= previous, "descending");
                previous = logit;
            }
        }
    }

    @Test
    void longPromptsAreFedInSlicesWithTheSameResult() throws Exception {
        int[] ids = new int[70];
        StringBuilder arg = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (i * 37 + 5) % 2048;
            arg.append(i > 0 ? "," : "").append(ids[i]);
        }
        String model = Fixtures.model("qwen35-micro-F32.gguf").toString();
        CliRunner.Run r = CliRunner.run("logits", "--model", model, "--tokens", arg.toString(), "--top", "3", "--threads", "1");
        assertEquals(0, r.exit(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(70, lines.length);
        try (var m = dev.qwen4j.model.Models.load(java.nio.file.Path.of(model))) {
            float[] last = new float[m.vocabSize()];
            m.forward(m.newState(70), ids, 0, 70, last, false);
            assertArrayEquals(LogitsCommand.topK(last, 0, last.length, 3), ids(lines[69]));
            Matcher first = PAIR.matcher(lines[69]);
            assertTrue(first.find());
            float best = last[LogitsCommand.topK(last, 0, last.length, 1)[0]];
            assertEquals(best, Float.parseFloat(first.group(2)), 1e-5 * Math.abs(best));   // last-bit noise of the SIMD kernels
        }
    }

    @Test
    void allAddsEveryLogit() {
        CliRunner.Run r = CliRunner.run("logits", "--model", Fixtures.model("qwen2-micro-F32.gguf").toString(), "--tokens", "1,2", "--top", "3", "--all");
        assertEquals(0, r.exit(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(2, lines.length);
        String logits = lines[1].substring(lines[1].indexOf("\"logits\":[") + 10, lines[1].length() - 2);
        assertEquals(2048, logits.split(",").length);
    }

    @Test
    void badInputGivesOneLineErrors() {
        String model = Fixtures.model("qwen3-micro-F32.gguf").toString();
        CliRunner.Run outOfVocab = CliRunner.run("logits", "--model", model, "--tokens", "1,5000");
        assertEquals(1, outOfVocab.exit());
        assertTrue(outOfVocab.err().startsWith("qwen4j: token id 5000 is outside the vocabulary"), outOfVocab.err());
        assertEquals(1, outOfVocab.err().strip().lines().count());

        CliRunner.Run notNumeric = CliRunner.run("logits", "--model", model, "--tokens", "1,abc");
        assertEquals(1, notNumeric.exit());
        assertEquals("qwen4j: --tokens: 'abc' is not a token id (expected comma-separated integers)", notNumeric.err().strip());

        CliRunner.Run missing = CliRunner.run("logits", "--model", "/no/such/model.gguf", "--tokens", "1");
        assertEquals(1, missing.exit());
        assertEquals("qwen4j: no such file: /no/such/model.gguf", missing.err().strip());
        assertTrue(missing.out().isEmpty());
    }

    @Test
    void topKBreaksTiesTowardsTheLowerId() {
        float[] logits = {0.5f, 2f, 2f, -1f, 3f, 2f};
        assertArrayEquals(new int[]{4, 1, 2, 5}, LogitsCommand.topK(logits, 0, 6, 4));
        assertArrayEquals(new int[]{4, 1, 2, 5, 0, 3}, LogitsCommand.topK(logits, 0, 6, 6));
        assertArrayEquals(new int[]{}, LogitsCommand.topK(logits, 0, 6, 0));
    }

    private static int[] ids(String jsonLine) {
        String top = jsonLine.substring(jsonLine.indexOf("\"top\":"));
        int end = top.indexOf("]]");
        Matcher m = PAIR.matcher(top.substring(0, end + 2));
        return m.results().mapToInt(x -> Integer.parseInt(x.group(1))).toArray();
    }
}
