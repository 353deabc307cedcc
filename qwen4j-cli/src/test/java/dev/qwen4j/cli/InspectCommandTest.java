package dev.qwen4j.cli;

import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.gguf.GgufValue;
import dev.qwen4j.gguf.GgufValueType;
import dev.qwen4j.gguf.GgufWriter;
import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.tensor.Tensor;
import dev.qwen4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code qwen4j inspect} end to end, in-process through {@link Main#execute}. */
class InspectCommandTest {

    private static void assertLine(CliRunner.Run r, String regex) {
        assertTrue(r.out().lines().anyMatch(l -> l.matches(regex)), "no line matching " + regex + " in:\n" + r.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2-micro-F32.gguf", "qwen3-micro-F32.gguf", "qwen3-micro-Q8_0.gguf",
            "qwen35-micro-F16.gguf", "qwen35-micro-F32.gguf", "qwen35-micro-Q8_0.gguf"})
    void describesEveryFixtureModel(String fileName) throws IOException {
        Path file = Fixtures.model(fileName);
        CliRunner.Run r = CliRunner.run("inspect", file.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals("", r.err());
        String arch = fileName.substring(0, fileName.indexOf('-'));
        boolean hybrid = arch.equals("qwen35");
        try (GgufFile g = GgufFile.open(file)) {
            assertLine(r, "format: +GGUF v3, " + g.metadata().size() + " metadata keys, " + g.tensors().size()
                    + " tensors, alignment 32, [0-9.]+ (KiB|MiB)");
            String template = g.getString("tokenizer.chat_template");
            assertLine(r, "  chat template: present \\(" + template.length() + " chars\\)");
            // One table row per tensor, in file order, with its type, shape and byte size.
            for (Tensor t : g.tensors()) {
                assertLine(r, java.util.regex.Pattern.quote(t.name()) + " +" + t.type() + " +" + t.shapeString() + " +" + t.byteSize());
            }
            long params = g.tensors().stream().mapToLong(Tensor::elementCount).sum();
            assertLine(r, "  all +" + g.tensors().size() + " tensors +" + params + " params +[0-9.]+ (KiB|MiB)");
        }
        assertLine(r, "architecture: +" + arch);
        assertLine(r, "  block_count +" + (hybrid ? 8 : 4));
        assertLine(r, "  embedding_length +128");
        assertLine(r, "  context_length +4096");
        assertLine(r, "  feed_forward_length +256");
        assertLine(r, "  attention.head_count +" + (hybrid ? 2 : 4));
        assertLine(r, "  attention.head_count_kv +" + (hybrid ? 1 : 2));
        assertLine(r, "  rope.freq_base +" + (hybrid ? "1.0E7" : "1000000.0"));
        if (hybrid) {
            assertLine(r, "  full_attention_interval +4");
            assertLine(r, "  ssm.state_size +32");
            assertLine(r, "  rope.dimension_sections +\\[int32 × 4\\]");
        }
        assertLine(r, "  model gpt2, pre " + (hybrid ? "qwen35" : "qwen2") + ", 2048 tokens, 1766 merges");
        assertLine(r, "  bos 2022 <\\|endoftext\\|>, eos 2024 <\\|im_end\\|>, pad 2022 <\\|endoftext\\|>");
        assertLine(r, "totals by type:");
    }

    @Test
    void quantizedFixtureTotalsSplitByType() {
        CliRunner.Run r = CliRunner.run("inspect", Fixtures.model("qwen35-micro-Q8_0.gguf").toString());
        assertLine(r, "  F32 +45 tensors +8816 params +34.4 KiB");
        assertLine(r, "  Q8_0 +63 tensors +1579008 params +1.6 MiB");
        assertLine(r, "  all +108 tensors +1587824 params +1.6 MiB");
    }

    @Test
    void describesTheVocabOnlyFileWithoutATensorTable() {
        CliRunner.Run r = CliRunner.run("inspect", Fixtures.tokenizer("ggml-vocab-qwen3.gguf").toString());
        assertEquals(0, r.exit(), r.err());
        assertLine(r, "format: +GGUF v3, 25 metadata keys, 0 tensors, alignment 32, 5.7 MiB");
        assertLine(r, "architecture: +qwen3");
        assertLine(r, "  block_count +28");
        assertLine(r, "  model gpt2, pre qwen2, 151936 tokens, 151387 merges");
        assertLine(r, "  bos 151643 <\\|endoftext\\|>, eos 151645 <\\|im_end\\|>, pad 151643 <\\|endoftext\\|>");
        assertLine(r, "  chat template: present \\([0-9]+ chars\\)");
        assertFalse(r.out().contains("totals by type"), r.out());
        assertFalse(r.out().lines().anyMatch(l -> l.startsWith("tensor ")), r.out());
    }

    @Test
    void listsKQuantTensorsWithTheirTypesAndSizes(@TempDir Path dir) throws IOException {
        GgufWriter w = new GgufWriter().putString("general.architecture", "qwen3").putString("general.name", "k-quant test")
                .putUInt32("qwen3.block_count", 1);
        GgmlType[] types = {GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_XS, GgmlType.Q8_0};
        for (GgmlType t : types) w.addTensor("blk.0." + t.name().toLowerCase(), t, new long[]{512, 3}, new byte[(int) t.rowBytes(512) * 3]);
        Path file = dir.resolve("kquants.gguf");
        w.write(file);

        CliRunner.Run r = CliRunner.run("inspect", file.toString());
        assertEquals(0, r.exit(), r.err());
        assertLine(r, "name: +k-quant test");
        assertLine(r, "  model -, pre -, no tokens, no merges");
        assertLine(r, "  bos -, eos -, pad -");
        assertLine(r, "  chat template: none");
        assertLine(r, "blk.0.q2_k +Q2_K +512x3 +" + 2 * 84 * 3);
        assertLine(r, "blk.0.q3_k +Q3_K +512x3 +" + 2 * 110 * 3);
        assertLine(r, "blk.0.q4_k +Q4_K +512x3 +" + 2 * 144 * 3);
        assertLine(r, "blk.0.q5_k +Q5_K +512x3 +" + 2 * 176 * 3);
        assertLine(r, "blk.0.q6_k +Q6_K +512x3 +" + 2 * 210 * 3);
        assertLine(r, "blk.0.iq4_xs +IQ4_XS +512x3 +" + 2 * 136 * 3);
        assertLine(r, "blk.0.q8_0 +Q8_0 +512x3 +" + 16 * 34 * 3);
        assertLine(r, "  Q4_K +1 tensors +1536 params +864 B");
        long total = 3L * 2 * (84 + 110 + 144 + 176 + 210 + 136) + 3L * 16 * 34;
        assertLine(r, "  all +7 tensors +" + 7 * 1536 + " params +" + String.format("%.1f KiB", total / 1024.0));
    }

    @Test
    void describesASplitModelAsOneModel(@TempDir Path dir) throws IOException {
        try (GgufFile original = GgufFile.open(Fixtures.model("qwen3-micro-Q8_0.gguf"))) {
            List<Tensor> all = original.tensors();
            for (int s = 0; s < 2; s++) {
                GgufWriter w = s == 0 ? GgufWriter.copyOfMetadata(original) : new GgufWriter();
                w.put("split.no", GgufValue.of(GgufValueType.UINT16, s)).put("split.count", GgufValue.of(GgufValueType.UINT16, 2));
                for (Tensor t : all.subList(s * 23, (s + 1) * 23)) w.addTensor(t.name(), t.type(), t.shape(), t.data());
                w.write(dir.resolve(String.format("split-%05d-of-00002.gguf", s + 1)));
            }
        }
        CliRunner.Run r = CliRunner.run("inspect", dir.resolve("split-00001-of-00002.gguf").toString());
        assertEquals(0, r.exit(), r.err());
        assertLine(r, "format: +GGUF v3, 27 metadata keys, 46 tensors in 2 shards, alignment 32, [0-9.]+ KiB");
        assertLine(r, "architecture: +qwen3");
        assertLine(r, "token_embd.weight +Q8_0 +128x2048 +278528");
        assertLine(r, "blk.3.ffn_up.weight +Q8_0 +128x256 +34816");
        assertLine(r, "  all +46 tensors .*");
    }

    @Test
    void noTensorsOptionSkipsTheTable() {
        CliRunner.Run r = CliRunner.run("inspect", "--no-tensors", Fixtures.model("qwen3-micro-F32.gguf").toString());
        assertEquals(0, r.exit());
        assertFalse(r.out().contains("token_embd.weight"), r.out());
        assertLine(r, "  all +46 tensors .*");
    }

    @Test
    void controlCharactersFromTheFileAreEscaped(@TempDir Path dir) throws IOException {
        GgufWriter w = new GgufWriter().putString("general.architecture", "x").putString("general.name", "two\nlines\u001b[31m")
                .putStrings("tokenizer.ggml.tokens", "a", "\r\n").putUInt32("tokenizer.ggml.eos_token_id", 1);
        w.addF32("bad\nname", new long[]{1}, new float[]{1});
        Path file = dir.resolve("ctl.gguf");
        w.write(file);
        CliRunner.Run r = CliRunner.run("inspect", file.toString());
        assertEquals(0, r.exit(), r.err());
        assertLine(r, "name: +two\\\\x0alines\\\\x1b\\[31m");
        assertLine(r, "  bos -, eos 1 \\\\x0d\\\\x0a, pad -");
        assertLine(r, "bad\\\\x0aname +F32 +1 +4");
        assertFalse(r.out().contains("\u001b"), r.out());
    }

    @Test
    void missingFileIsOneLineOnStderrWithExitCodeOne(@TempDir Path dir) {
        Path missing = dir.resolve("missing.gguf");
        CliRunner.Run r = CliRunner.run("inspect", missing.toString());
        assertEquals(1, r.exit());
        assertEquals("", r.out());
        assertEquals("qwen4j: no such file: " + missing + System.lineSeparator(), r.err());
    }

    @Test
    void directoryIsOneLineOnStderr(@TempDir Path dir) {
        CliRunner.Run r = CliRunner.run("inspect", dir.toString());
        assertEquals(1, r.exit());
        assertEquals("qwen4j: " + dir + ": is a directory, not a GGUF file" + System.lineSeparator(), r.err());
    }

    @Test
    void emptyFileIsOneLineOnStderr(@TempDir Path dir) throws IOException {
        Path empty = Files.createFile(dir.resolve("empty.gguf"));
        CliRunner.Run r = CliRunner.run("inspect", empty.toString());
        assertEquals(1, r.exit());
        assertEquals("qwen4j: " + empty + ": empty file (0 bytes), not a GGUF file" + System.lineSeparator(), r.err());
    }

    @Test
    void malformedFileNamesTheProblemAndOffsetOnOneLine(@TempDir Path dir) throws IOException {
        byte[] valid = Files.readAllBytes(Fixtures.model("qwen3-micro-Q8_0.gguf"));
        Path cut = Files.write(dir.resolve("cut.gguf"), Arrays.copyOf(valid, valid.length / 2));
        CliRunner.Run r = CliRunner.run("inspect", cut.toString());
        assertEquals(1, r.exit());
        assertEquals("", r.out());
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(lines.get(0).matches("qwen4j: " + java.util.regex.Pattern.quote(cut.toString())
                + ": tensor '.*': its [0-9]+ bytes at data offset [0-9]+ \\(data section starts at byte [0-9]+\\) run past the end of the 487744-byte file \\(truncated\\?\\) \\(at byte [0-9]+\\)"), lines.get(0));
    }

    @Test
    void unreadableFileIsOneLineOnStderrUnlessRunningAsRoot(@TempDir Path dir) throws IOException {
        Path locked = Files.copy(Fixtures.model("qwen3-micro-Q8_0.gguf"), dir.resolve("locked.gguf"));
        Files.setPosixFilePermissions(locked, java.nio.file.attribute.PosixFilePermissions.fromString("---------"));
        CliRunner.Run r = CliRunner.run("inspect", locked.toString());
        if (Files.isReadable(locked)) {
            assertEquals(0, r.exit(), "root reads files whatever their permissions");
        } else {
            assertNotEquals(0, r.exit());
            assertEquals("qwen4j: permission denied: " + locked + System.lineSeparator(), r.err());
        }
    }
}
