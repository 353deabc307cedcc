package dev.qwen4j.cli;

import dev.qwen4j.convert.HfFixture;
import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.model.LanguageModel;
import dev.qwen4j.model.LoadOptions;
import dev.qwen4j.model.Models;
import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code qwen4j quantize} end to end, in-process through {@link Main#execute}. */
class QuantizeCommandTest {
    @TempDir
    Path tmp;

    @Test
    void convertsACheckpointFolderToQ8_0WithProgressOnStderr() throws Exception {
        Path ckpt = HfFixture.write(tmp.resolve("ckpt"), HfFixture.qwen35(), HfFixture.Dtype.BF16, 2, 5).dir();
        Path out = tmp.resolve("model-q8_0.gguf");
        CliRunner.Run r = CliRunner.run("quantize", ckpt.toString(), out.toString(), "--type", "q8_0");
        assertEquals(0, r.exit(), r.err());
        assertEquals("", r.out());
        assertTrue(r.err().lines().anyMatch(l -> l.matches("\\[ ?1/\\d+] token_embd\\.weight +BF16 +-> Q8_0 +\\[256x2048]")), r.err());
        assertTrue(r.err().lines().anyMatch(l -> l.contains("blk.0.ssm_a ") && l.contains("F32   -> F32")), r.err());
        assertTrue(r.err().lines().reduce((a, b) -> b).orElse("").startsWith("wrote " + out), r.err());
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(GgmlType.Q8_0, f.tensor("blk.0.attn_qkv.weight").type());
            assertEquals(7, f.getInt("general.file_type"));
        }
        try (LanguageModel m = Models.load(out, LoadOptions.defaults().withThreads(1))) {
            assertEquals("qwen35", m.architecture());
            assertEquals(2048, m.vocabSize());
        }
    }

    @Test
    void requantizesAGgufFile() throws IOException {
        Path out = tmp.resolve("q4km.gguf");
        CliRunner.Run r = CliRunner.run("quantize", Fixtures.model("qwen3-micro-F32.gguf").toString(), out.toString(), "-t", "Q4_K_M", "--quiet");
        assertEquals(0, r.exit(), r.err());
        assertEquals(1, r.err().lines().count(), "--quiet leaves only the summary: " + r.err());
        try (GgufFile f = GgufFile.open(out)) {
            // rows of 128 do not fit a 256-block K-quant: Q8_0 instead; norms stay F32
            assertEquals(GgmlType.Q8_0, f.tensor("blk.0.attn_q.weight").type());
            assertEquals(GgmlType.F32, f.tensor("blk.0.attn_norm.weight").type());
            assertEquals(15, f.getInt("general.file_type"));
        }
    }

    @Test
    void refusesToOverwriteTheInput() throws IOException {
        Path in = tmp.resolve("m.gguf");
        Files.copy(Fixtures.model("qwen3-micro-Q8_0.gguf"), in);
        byte[] before = Files.readAllBytes(in);
        CliRunner.Run r = CliRunner.run("quantize", in.toString(), tmp.resolve(".").resolve("m.gguf").toString(), "--type", "q4_0");
        assertEquals(1, r.exit());
        assertEquals("qwen4j: refusing to overwrite the input " + in + "; choose another OUT" + System.lineSeparator(), r.err());
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(in)));
    }

    @Test
    void unknownTypeIsAUsageError() {
        CliRunner.Run r = CliRunner.run("quantize", "a.gguf", "b.gguf", "--type", "q3_k_xl");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("unknown type 'q3_k_xl'; use one of f32, f16, bf16, q8_0, q4_0, q4_k_m"), r.err());
    }

    @Test
    void missingInputIsOneLine() {
        Path missing = tmp.resolve("nope.gguf");
        CliRunner.Run r = CliRunner.run("quantize", missing.toString(), tmp.resolve("o.gguf").toString(), "--type", "q8_0");
        assertEquals(1, r.exit());
        assertEquals("qwen4j: no such file: " + missing + System.lineSeparator(), r.err());
    }

    @Test
    void outputFolderMustExist() {
        Path out = tmp.resolve("missing").resolve("o.gguf");
        CliRunner.Run r = CliRunner.run("quantize", Fixtures.model("qwen3-micro-Q8_0.gguf").toString(), out.toString(), "--type", "q8_0");
        assertEquals(1, r.exit());
        assertEquals("qwen4j: no such folder: " + out.getParent() + System.lineSeparator(), r.err());
    }

    @Test
    void brokenCheckpointIsOneLineAndWritesNothing() throws IOException {
        Path ckpt = HfFixture.write(tmp.resolve("ckpt"), HfFixture.qwen3(), HfFixture.Dtype.F32, 1, 5).dir();
        Files.write(ckpt.resolve("model.safetensors"), new byte[] {1, 2, 3});
        Path out = tmp.resolve("o.gguf");
        CliRunner.Run r = CliRunner.run("quantize", ckpt.toString(), out.toString(), "--type", "q8_0");
        assertEquals(1, r.exit());
        assertEquals("qwen4j: " + ckpt.resolve("model.safetensors") + ": file too short for a safetensors header (3 bytes)"
                + System.lineSeparator(), r.err());
        assertFalse(Files.exists(out));
    }
}
