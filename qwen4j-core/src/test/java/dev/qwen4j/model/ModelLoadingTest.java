package dev.qwen4j.model;

import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.gguf.GgufValue;
import dev.qwen4j.gguf.GgufWriter;
import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.tensor.Tensor;
import dev.qwen4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loading reads hyperparameters from metadata and refuses bad files with a message naming the problem. */
class ModelLoadingTest {
    @TempDir
    Path dir;

    @Test
    void readsHyperparametersFromMetadata() throws IOException {
        try (GgufFile g = GgufFile.open(Fixtures.model("qwen35-micro-F32.gguf"))) {
            ModelConfig c = Models.config(g);
            assertEquals(new ModelConfig("qwen35", 2048, 4096, 128, 8, 256, 2, 1, 64, 16, 1e7, 1e-6f), c);
            assertEquals(new DeltaNetConfig(2, 4, 32, 32, 4, 4), Models.deltaNetConfig(g));
        }
        try (LanguageModel m = Models.load(Fixtures.model("qwen2-micro-F32.gguf"))) {
            assertEquals("qwen2", m.architecture());
            assertEquals(2048, m.vocabSize());
            assertEquals(4096, m.trainedContextLength());
        }
    }

    @Test
    void unsupportedArchitectureListsTheSupportedOnes() throws IOException {
        Path file = copy("qwen3-micro-F32.gguf", "llama.gguf", t -> t, Map.of("general.architecture", GgufValue.string("llama")));
        var e = assertThrows(InvalidModelException.class, () -> Models.load(file));
        assertTrue(e.getMessage().contains("'llama' is not supported; qwen4j runs qwen2, qwen3, qwen35"), e.getMessage());
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        Path file = copy("qwen3-micro-F32.gguf", "missing.gguf", t -> t.name().equals("blk.1.attn_k.weight") ? null : t, Map.of());
        var e = assertThrows(InvalidModelException.class, () -> Models.load(file));
        assertTrue(e.getMessage().startsWith("tensor blk.1.attn_k.weight: missing from"), e.getMessage());
    }

    @Test
    void wrongShapeNamesBothShapes() throws IOException {
        Path file = copy("qwen3-micro-F32.gguf", "shape.gguf", t -> !t.name().equals("blk.3.attn_q.weight") ? t
                : new Tensor(t.name(), t.type(), new long[]{128, 64}, t.data().asSlice(0, 128 * 64 * 4)), Map.of());
        var e = assertThrows(InvalidModelException.class, () -> Models.load(file));
        assertEquals("tensor blk.3.attn_q.weight: expected 128x128, file has 128x64", e.getMessage());
    }

    @Test
    void wrongTypeIsNamed() throws IOException {
        // the 128 F32 values of a norm reinterpreted as 512 bytes of I8
        Path file = copy("qwen3-micro-F32.gguf", "type.gguf", t -> !t.name().equals("blk.0.attn_norm.weight") ? t
                : new Tensor(t.name(), GgmlType.I8, new long[]{128}, t.data().asSlice(0, 128)), Map.of());
        var e = assertThrows(InvalidModelException.class, () -> Models.load(file));
        assertEquals("tensor blk.0.attn_norm.weight: expected F32, F16 or BF16, file has I8", e.getMessage());
    }

    @Test
    void badHyperparametersAreExplained() throws IOException {
        Path file = copy("qwen3-micro-F32.gguf", "heads.gguf", t -> t, Map.of("qwen3.attention.head_count_kv", GgufValue.uint32(3)));
        var e = assertThrows(InvalidModelException.class, () -> Models.load(file));
        assertTrue(e.getMessage().contains("head_count 4 must be a positive multiple of head_count_kv 3"), e.getMessage());
    }

    /** A copy of a fixture with tensors replaced or dropped (null) and metadata overridden. */
    private Path copy(String fixture, String name, UnaryOperator<Tensor> edit, Map<String, GgufValue> overrides) throws IOException {
        Path out = dir.resolve(name);
        try (GgufFile g = GgufFile.open(Fixtures.model(fixture))) {
            GgufWriter w = new GgufWriter();
            g.metadata().forEach((k, v) -> w.put(k, overrides.getOrDefault(k, v)));
            for (Tensor t : g.tensors()) {
                Tensor e = edit.apply(t);
                if (e != null) w.addTensor(e.name(), e.type(), e.shape(), e.data());
            }
            w.write(out);
        }
        return out;
    }

    @Test
    void nonFiniteNormEpsilonOrRopeBaseIsRefusedAtLoad() {
        InvalidModelException eps = assertThrows(InvalidModelException.class,
                () -> new ModelConfig("qwen3", 2048, 4096, 128, 4, 256, 4, 2, 32, 32, 1e6, Float.NaN));
        assertTrue(eps.getMessage().contains("layer_norm_rms_epsilon"), eps.getMessage());
        InvalidModelException theta = assertThrows(InvalidModelException.class,
                () -> new ModelConfig("qwen3", 2048, 4096, 128, 4, 256, 4, 2, 32, 32, 0, 1e-6f));
        assertTrue(theta.getMessage().contains("freq_base"), theta.getMessage());
    }
}
