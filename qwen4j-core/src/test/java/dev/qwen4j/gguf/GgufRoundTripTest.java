package dev.qwen4j.gguf;

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
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GgufWriter → GgufFile keeps every value type, and re-writing a real file reproduces it byte for byte. */
class GgufRoundTripTest {

    @TempDir
    Path dir;

    @Test
    void everyScalarAndArrayValueTypeSurvivesWriteThenParse() throws IOException {
        GgufWriter w = GgufSamples.allTypesWriter();
        GgufFile f = GgufFile.parse(GgufSamples.bytes(w));
        assertEquals(List.copyOf(w.metadata().keySet()), List.copyOf(f.metadata().keySet()));
        for (Map.Entry<String, GgufValue> e : w.metadata().entrySet()) {
            assertEquals(e.getValue(), f.metadata().get(e.getKey()), e.getKey());
        }
        // Every value type, scalar and array, is covered by the sample.
        for (GgufValueType t : GgufValueType.values()) {
            assertTrue(f.metadata().values().stream().anyMatch(v -> v.type() == t), "scalar " + t);
            if (t != GgufValueType.ARRAY) {
                assertTrue(f.metadata().values().stream().anyMatch(v -> v.elementType() == t), "array of " + t);
            }
        }
    }

    @Test
    void unsignedValuesReadBackNonNegative() throws IOException {
        GgufFile f = GgufFile.parse(GgufSamples.allTypes());
        assertEquals(255, f.getLong("t.uint8"));
        assertEquals(65535, f.getLong("t.uint16"));
        assertEquals(0xFFFF_FFFFL, f.getLong("t.uint32"));
        assertEquals(-128, f.getLong("t.int8"));
        assertEquals(-32768, f.getInt("t.int16"));
        assertArrayEquals(new int[]{0, 1, 255}, f.getIntArray("a.uint8"));
        assertArrayEquals(new int[]{-128, 0, 127}, f.getIntArray("a.int8"));
        assertArrayEquals(new int[]{0, 65535}, f.getIntArray("a.uint16"));
        assertArrayEquals(new long[]{0, 0xFFFF_FFFFL}, (long[]) f.metadata().get("a.uint32").value());
        assertThrows(IllegalArgumentException.class, () -> f.getIntArray("a.uint32"), "4294967295 does not fit an int");
    }

    @Test
    void floatsKeepTheirBitsAndStringsTheirUnicode() throws IOException {
        GgufFile f = GgufFile.parse(GgufSamples.allTypes());
        assertEquals(-1.5e-7f, f.getFloat("t.float32"));
        assertEquals(Math.PI, f.getDouble("t.float64", 0));
        float[] fs = f.getFloatArray("a.float32");
        assertTrue(Float.isNaN(fs[1]));
        assertEquals(Float.NEGATIVE_INFINITY, fs[2]);
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(((double[]) f.metadata().get("a.float64").value())[1]));
        assertEquals("all-types \u00e9\u4f60\ud83d\ude00", f.getString("general.name"));
        assertArrayEquals(new String[]{"a", "", "\u0120world", "\u4f60\u597d"}, f.getStringArray("a.string"));
        assertEquals(0, f.metadata().get("a.empty").arrayLength());
        assertEquals(true, f.getBoolean("t.bool", false));
    }

    @Test
    void tensorsOfEveryLayoutSurviveWriteThenParse() throws IOException {
        GgufFile f = GgufFile.parse(GgufSamples.allTypes());
        assertEquals(List.of("f32", "f16", "q8_0", "q4_k", "empty"), f.tensors().stream().map(Tensor::name).toList());
        Tensor q4k = f.tensor("q4_k");
        assertEquals(GgmlType.Q4_K, q4k.type());
        assertArrayEquals(new long[]{256, 1, 1, 2}, q4k.shape());
        assertArrayEquals(GgufSamples.pattern(288, 11), q4k.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        assertEquals(0, f.tensor("empty").byteSize());
        for (Tensor t : f.tensors()) assertEquals(0, f.fileOffset(t) % 32, t.name());
    }

    @Test
    void rewritingTheSpecFixtureReproducesGgmlsBytes() throws IOException {
        byte[] original = GgufSamples.specFixture();
        assertArrayEquals(original, GgufSamples.bytes(GgufWriter.copyOf(GgufFile.parse(original))));
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2-micro-F32.gguf", "qwen3-micro-F32.gguf", "qwen3-micro-Q8_0.gguf",
            "qwen35-micro-F16.gguf", "qwen35-micro-F32.gguf", "qwen35-micro-Q8_0.gguf"})
    void rewritingAFixtureModelReproducesItByteForByte(String name) throws IOException {
        assertRewriteIsIdentical(Fixtures.model(name));
    }

    @Test
    void rewritingTheVocabOnlyFileReproducesItByteForByte() throws IOException {
        assertRewriteIsIdentical(Fixtures.tokenizer("ggml-vocab-qwen3.gguf"));
    }

    private void assertRewriteIsIdentical(Path source) throws IOException {
        Path copy = dir.resolve(source.getFileName());
        try (GgufFile f = GgufFile.open(source)) {
            GgufWriter.copyOf(f).write(copy);
        }
        assertEquals(Files.size(source), Files.size(copy));
        assertEquals(-1, Files.mismatch(source, copy), "first differing byte");
    }

    @Test
    void fixtureModelsHoldTheTensorsTheReadmeDescribes() throws IOException {
        // fixtures/README.md §2: per-layer tensor lists plus token_embd and output_norm (and output for qwen2).
        assertModel("qwen3-micro-F32.gguf", "qwen3", 4, 4 * 11 + 2, Map.of(GgmlType.F32, 46L));
        assertModel("qwen3-micro-Q8_0.gguf", "qwen3", 4, 46, Map.of(GgmlType.Q8_0, 29L, GgmlType.F32, 17L));
        assertModel("qwen2-micro-F32.gguf", "qwen2", 4, 4 * 12 + 3, Map.of(GgmlType.F32, 51L));
        int qwen35 = 6 * 14 + 2 * 11 + 2;
        assertModel("qwen35-micro-F32.gguf", "qwen35", 8, qwen35, Map.of(GgmlType.F32, (long) qwen35));
        assertModel("qwen35-micro-F16.gguf", "qwen35", 8, qwen35, Map.of(GgmlType.F16, 63L, GgmlType.F32, qwen35 - 63L));
        assertModel("qwen35-micro-Q8_0.gguf", "qwen35", 8, qwen35, Map.of(GgmlType.Q8_0, 63L, GgmlType.F32, qwen35 - 63L));
    }

    private static void assertModel(String file, String arch, int layers, int tensors, Map<GgmlType, Long> byType) throws IOException {
        try (GgufFile f = GgufFile.open(Fixtures.model(file))) {
            assertEquals(arch, f.architecture(), file);
            assertEquals(layers, f.getInt(arch + ".block_count"), file);
            assertEquals(128, f.getInt(arch + ".embedding_length"), file);
            assertEquals(4096, f.getInt(arch + ".context_length"), file);
            assertEquals(tensors, f.tensors().size(), file);
            assertEquals(byType, f.tensors().stream().collect(Collectors.groupingBy(Tensor::type, Collectors.counting())), file);
            assertArrayEquals(new long[]{128, 2048}, f.tensor("token_embd.weight").shape(), file);
            assertEquals("gpt2", f.getString("tokenizer.ggml.model"), file);
            assertEquals(arch.equals("qwen35") ? "qwen35" : "qwen2", f.getString("tokenizer.ggml.pre"), file);
            assertEquals(2048, f.getStringArray("tokenizer.ggml.tokens").length, file);
            assertEquals(1766, f.getStringArray("tokenizer.ggml.merges").length, file);
            assertEquals(2022, f.getInt("tokenizer.ggml.bos_token_id"), file);
            assertEquals(2024, f.getInt("tokenizer.ggml.eos_token_id"), file);
            assertEquals(2022, f.getInt("tokenizer.ggml.padding_token_id"), file);
            assertEquals(false, f.getBoolean("tokenizer.ggml.add_bos_token", true), file);
            assertEquals("<|im_end|>", f.getStringArray("tokenizer.ggml.tokens")[2024], file);
            assertEquals("\u0120", f.getStringArray("tokenizer.ggml.tokens")[220], file);
            assertTrue(f.getString("tokenizer.chat_template").contains("<|im_start|>"), file);
        }
    }

    @Test
    void qwen35FixtureCarriesItsHybridHyperparameters() throws IOException {
        try (GgufFile f = GgufFile.open(Fixtures.model("qwen35-micro-F32.gguf"))) {
            assertEquals(4, f.getInt("qwen35.full_attention_interval"));
            assertEquals(2, f.getInt("qwen35.ssm.group_count"));
            assertEquals(4, f.getInt("qwen35.ssm.time_step_rank"));
            assertEquals(32, f.getInt("qwen35.ssm.state_size"));
            assertEquals(128, f.getInt("qwen35.ssm.inner_size"));
            assertEquals(4, f.getInt("qwen35.ssm.conv_kernel"));
            assertEquals(16, f.getInt("qwen35.rope.dimension_count"));
            assertEquals(1e7f, f.getFloat("qwen35.rope.freq_base"));
            assertArrayEquals(new int[]{3, 3, 2, 0}, f.getIntArray("qwen35.rope.dimension_sections"));
            assertArrayEquals(new long[]{128, 256}, f.tensor("blk.0.attn_qkv.weight").shape());
            assertArrayEquals(new long[]{4, 256}, f.tensor("blk.0.ssm_conv1d.weight").shape());
            assertArrayEquals(new long[]{128, 256}, f.tensor("blk.3.attn_q.weight").shape());
        }
    }

    @Test
    void vocabOnlyFixtureHoldsTheFullQwen3Vocabulary() throws IOException {
        try (GgufFile f = GgufFile.open(Fixtures.tokenizer("ggml-vocab-qwen3.gguf"))) {
            assertEquals("qwen3", f.architecture());
            assertEquals(0, f.tensors().size());
            String[] tokens = f.getStringArray("tokenizer.ggml.tokens");
            assertEquals(151_936, tokens.length);
            assertEquals(151_936, f.getIntArray("tokenizer.ggml.token_type").length);
            assertEquals(151_387, f.getStringArray("tokenizer.ggml.merges").length);
            assertEquals("qwen2", f.getString("tokenizer.ggml.pre"));
            assertEquals(151_643, f.getInt("tokenizer.ggml.bos_token_id"));
            assertEquals(151_645, f.getInt("tokenizer.ggml.eos_token_id"));
            assertEquals(151_643, f.getInt("tokenizer.ggml.padding_token_id"));
            assertEquals("<|endoftext|>", tokens[151_643]);
            assertEquals("<|im_end|>", tokens[151_645]);
            assertTrue(f.getString("tokenizer.chat_template").contains("<|im_start|>"));
        }
    }
}
