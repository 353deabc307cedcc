package dev.qwen4j.cli;

import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.gguf.GgufWriter;
import dev.qwen4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input from a user gets one clear line on stderr and exit code 1 (2 for bad usage), never a trace or a hang. */
class BadInputTest {
    private static final String MODEL = Fixtures.model("qwen3-micro-Q8_0.gguf").toString();
    private static final byte[] NOT_UTF8 = {(byte) 0xff, (byte) 0xfe, 'h', 'i'};

    private static void assertOneLineError(CliRunner.Run r, String expected) {
        assertEquals(1, r.exit(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("qwen4j: ") && r.err().contains(expected), r.err());
    }

    @Test
    void everySubcommandAnswersHelpAndVersion() {
        for (String command : new String[]{"run", "chat", "inspect", "logits", "tokenize", "pull", "list", "show", "rm", "bench", "quantize"}) {
            CliRunner.Run help = CliRunner.run(command, "--help");
            assertEquals(0, help.exit(), command + ": " + help.err());
            assertTrue(help.out().startsWith("Usage: qwen4j " + command), help.out());
        }
        assertEquals("qwen4j 0.1.0", CliRunner.run("run", "--version").out().strip());
    }

    @Test
    void aContextBeyondTheTrainedMaximumSaysSoRatherThanBlamingMemory() {
        assertOneLineError(CliRunner.run("run", "--offline", MODEL, "hi", "--ctx", "100000000"),
                "--ctx 100000000 exceeds the model's maximum context of 4096");
    }

    @Test
    void anAbsurdThreadCountIsRefusedBeforeStartingThreads() {
        // 100000 spinning workers on two cores never finished; now the flag is checked like any other.
        assertOneLineError(CliRunner.run("run", "--offline", MODEL, "hi", "--threads", "100000"), "--threads 100000 is out of range");
        assertOneLineError(CliRunner.run("logits", "--model", MODEL, "--tokens", "1", "--threads", "-2"), "--threads -2 is out of range");
        assertOneLineError(CliRunner.run("bench", "-m", MODEL, "-t", "513"), "-t 513 is out of range");
    }

    @Test
    void badAnswerFlagsAreRefusedBeforeAnyInputIsRead() {
        assertOneLineError(CliRunner.run("run", "--offline", MODEL, "hi", "--thinking-budget", "-5"), "--thinking-budget must be ≥ 0, got -5");
        // chat checks its sampling flags before the first line, so nothing typed is lost to a late error.
        assertOneLineError(CliRunner.runWithInput("hello\n".getBytes(StandardCharsets.UTF_8), "chat", "--offline", MODEL, "--top-p", "1.5"),
                "top_p must be in (0, 1], got 1.5");
    }

    @Test
    void theKvCacheTypeIsOneOfTheKnownOnes() {
        assertOneLineError(CliRunner.run("run", "--offline", MODEL, "hi", "--kv-cache", "q8"), "--kv-cache q8 is not a cache type (f32 or f16)");
        CliRunner.Run ok = CliRunner.run("run", "--offline", MODEL, "hi", "--kv-cache", "F16", "-n", "3", "--greedy");
        org.junit.jupiter.api.Assertions.assertEquals(0, ok.exit(), ok.err());
    }

    @Test
    void draftingWithAHeadTheModelLacksIsRefused() {
        assertOneLineError(CliRunner.run("run", "--offline", MODEL, "hi", "--greedy", "--draft-head", "-n", "2"),
                "--draft-head: this model has no draft head (no MTP block in its file)");
    }

    @Test
    void aFolderThatIsNoCheckpointIsNamedAsSuch(@TempDir Path dir) {
        String expected = dir + ": is a directory, not a GGUF file or a Hugging Face checkpoint";
        assertOneLineError(CliRunner.run("run", "--offline", dir.toString(), "hi"), expected);
        assertOneLineError(CliRunner.run("quantize", "-t", "q8_0", dir.toString(), dir.resolve("out.gguf").toString()), expected);
    }

    @Test
    void pullAndRmTellAnUnknownNameFromAFile() {
        assertOneLineError(CliRunner.run("pull", "--offline", "qwen9:xyz"), "'qwen9:xyz' is not a model name; nothing to pull");
        assertOneLineError(CliRunner.run("pull", "--offline", MODEL), "'" + MODEL + "' is a file, not a model name; nothing to pull");
        assertOneLineError(CliRunner.run("rm", "bad name!"), "'bad name!' is not a model name; qwen4j rm deletes cached models");
        assertOneLineError(CliRunner.run("show", MODEL, "--ctx", "-5"), "--ctx must be ≥ 1, got -5");
    }

    /** Stdout that a reader closes after {@code open} bytes (as `| head -c N` does); counts what comes after. */
    private static final class ClosingPipe extends java.io.OutputStream {
        private final int open;
        int written;
        int offeredAfterClose;

        ClosingPipe(int open) {
            this.open = open;
        }

        @Override
        public void write(int b) throws java.io.IOException {
            write(new byte[]{(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws java.io.IOException {
            if (written >= open) {
                offeredAfterClose += len;
                throw new java.io.IOException("Broken pipe");
            }
            written += len;
        }
    }

    @Test
    void aClosedStdoutStopsTheAnswerInsteadOfGeneratingToTheEndOfTheContext() {
        // qwen2-micro decoding greedily never ends its turn: without the check it would fill all 1024 positions.
        String qwen2 = Fixtures.model("qwen2-micro-F32.gguf").toString();
        ClosingPipe pipe = new ClosingPipe(10);
        CliRunner.Run r = CliRunner.runWith(new byte[0], pipe, "run", "--offline", qwen2, "Write a story", "--greedy",
                "--loops", "off", "--ctx", "1024", "--stats");
        assertEquals(141, r.exit(), r.err());
        assertTrue(pipe.offeredAfterClose > 0 && pipe.offeredAfterClose < 64, "stopped at the first failed write: " + pipe.offeredAfterClose);
        assertEquals("", r.err(), "no complaint about a reader that went away");

        pipe = new ClosingPipe(10);
        r = CliRunner.runWith("Write a story\nand another\n".getBytes(StandardCharsets.UTF_8), pipe, "chat", "--offline", qwen2,
                "--greedy", "--loops", "off", "--ctx", "1024");
        assertEquals(141, r.exit(), r.err());
        assertTrue(pipe.offeredAfterClose < 64, "the chat ends with its first answer: " + pipe.offeredAfterClose);
    }

    @Test
    void aVocabOnlyGgufTokenizesButCannotRun(@TempDir Path dir) throws Exception {
        Path vocab = dir.resolve("vocab.gguf");
        try (GgufFile f = GgufFile.open(Path.of(MODEL))) {
            GgufWriter.copyOfMetadata(f).write(vocab);
        }
        assertEquals(0, CliRunner.run("tokenize", "-m", vocab.toString(), "hi").exit());
        assertOneLineError(CliRunner.run("run", "--offline", vocab.toString(), "hi"), vocab + " holds a vocabulary but no weights (a vocab-only GGUF)");
    }

    @Test
    void badChatCommandsAnswerWithTheirUsageOnly() {
        String script = "/think maybe\n/save\n/load\n/frobnicate\n/think off\n/exit\n";
        CliRunner.Run r = CliRunner.runWithInput(script.getBytes(StandardCharsets.UTF_8), "chat", "--offline", MODEL, "--ctx", "64", "--think");
        assertEquals(0, r.exit(), r.err());
        assertEquals(java.util.List.of("usage: /think [on|off]", "usage: /save FILE", "usage: /load FILE",
                "unknown command /frobnicate; /help lists the commands", "thinking off"), r.out().lines().toList());
    }

    @Test
    void textThatIsNotUtf8IsAnErrorNotReplacementCharacters(@TempDir Path dir) throws Exception {
        assertOneLineError(CliRunner.runWithInput(NOT_UTF8, "run", "--offline", MODEL, "-", "-n", "1"),
                "stdin is not valid UTF-8 (byte 0xff at offset 0)");
        Path file = Files.write(dir.resolve("latin1.txt"), "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1));
        assertOneLineError(CliRunner.run("tokenize", "-m", MODEL, "--file", file.toString()), "latin1.txt is not valid UTF-8 (byte 0xe9 at offset 3)");
        assertOneLineError(CliRunner.run("tokenize", "-m", MODEL, "--file", dir.toString()), dir + " is a directory, not a text file");
        assertOneLineError(CliRunner.run("tokenize", "-m", MODEL, "--file", dir.resolve("nowhere").toString()), "no such file: ");
    }

    @Test
    void aModelWithANaNNormEpsilonIsRefusedAtLoadInsteadOfAnsweringToken0(@TempDir Path dir) throws Exception {
        Path broken = dir.resolve("nan-eps.gguf");
        try (GgufFile f = GgufFile.open(Path.of(MODEL))) {
            GgufWriter.copyOf(f).putFloat32("qwen3.attention.layer_norm_rms_epsilon", Float.NaN).write(broken);
        }
        String expected = "attention.layer_norm_rms_epsilon must be a positive number, file has NaN";
        assertOneLineError(CliRunner.run("run", "--offline", broken.toString(), "hi", "-n", "2", "--ctx", "64"), expected);
        assertOneLineError(CliRunner.run("logits", "--model", broken.toString(), "--tokens", "1,2"), expected);
    }

    @Test
    void chatRefusesASessionSavedWithAnotherModelAndKeepsGoing(@TempDir Path dir) throws Exception {
        Path other = dir.resolve("other.gguf");
        try (GgufFile f = GgufFile.open(Path.of(MODEL))) {
            GgufWriter.copyOf(f).putString("general.name", "another-qwen3").write(other);
        }
        Path saved = dir.resolve("s.qwen4j");
        String script = "hello\n/save " + saved + "\n/exit\n";
        CliRunner.Run first = CliRunner.runWithInput(script.getBytes(StandardCharsets.UTF_8), "chat", "--offline", MODEL, "-n", "2", "--ctx", "64");
        assertEquals(0, first.exit(), first.err());
        assertTrue(Files.exists(saved), first.out());

        script = "/load " + saved + "\n/save " + dir + "\nhi\n";
        CliRunner.Run second = CliRunner.runWithInput(script.getBytes(StandardCharsets.UTF_8), "chat", "--offline", other.toString(), "-n", "2", "--ctx", "64");
        assertEquals(0, second.exit(), second.err());
        assertTrue(second.err().contains("qwen4j: cannot load " + saved + ": " + saved + " was saved with model random-qwen3-micro, not another-qwen3"),
                second.err());
        assertTrue(second.err().contains("qwen4j: cannot save to " + dir), second.err());
        assertTrue(second.err().contains("tokens"), "the chat goes on after both errors: " + second.err());
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.toString().endsWith(".tmp")), "a failed /save leaves no temporary file");
        }
    }
}
