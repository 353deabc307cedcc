package dev.qwen4j.convert;

import dev.qwen4j.json.Json;
import dev.qwen4j.model.Models;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checkpoints the converter must refuse, each with a message that names the problem. */
class CheckpointErrorsTest {
    @TempDir
    Path tmp;

    @Test
    void unsupportedModelType() throws IOException {
        Path dir = checkpoint();
        editConfig(dir, c -> c.put("model_type", "llama"));
        assertConversionFails(dir, "model_type 'llama' is not supported; qwen4j converts qwen2, qwen3 and qwen3_5 checkpoints");
    }

    @Test
    void unknownTensor() throws IOException {
        Path dir = checkpoint();
        editWeights(dir, t -> t.put("model.layers.0.mlp.extra.weight", new SafetensorsBytes.Tensor("F32", new long[] {1}, SafetensorsBytes.f32(1))));
        assertConversionFails(dir, "tensor \"model.layers.0.mlp.extra.weight\" is not part of a qwen3 text model");
    }

    @Test
    void missingTensor() throws IOException {
        Path dir = checkpoint();
        editWeights(dir, t -> t.remove("model.layers.1.mlp.up_proj.weight"));
        assertConversionFails(dir, "checkpoint has no tensor \"model.layers.1.mlp.up_proj.weight\"");
    }

    @Test
    void tensorWithTheWrongShape() throws IOException {
        Path dir = checkpoint();
        editWeights(dir, t -> t.put("model.layers.0.mlp.up_proj.weight", new SafetensorsBytes.Tensor("F32", new long[] {2, 2}, SafetensorsBytes.f32(1, 2, 3, 4))));
        assertConversionFails(dir, "tensor \"model.layers.0.mlp.up_proj.weight\" should have shape [512, 256], checkpoint has [2, 2]");
    }

    @Test
    void integerWeights() throws IOException {
        Path dir = checkpoint();
        editWeights(dir, t -> t.put("model.norm.weight", new SafetensorsBytes.Tensor("I32", new long[] {256}, new byte[1024])));
        assertConversionFails(dir, "tensor \"model.norm.weight\" has dtype I32; only F32, F16 and BF16 weights can be converted");
    }

    @Test
    void layerScheduleThatIsNotPeriodic() throws IOException {
        Path dir = HfFixture.write(tmp.resolve("q35"), HfFixture.qwen35(), HfFixture.Dtype.BF16, 1, 1).dir();
        editConfig(dir, c -> ((Map<String, Object>) c.get("text_config")).put("layer_types",
                List.of("linear_attention", "full_attention", "linear_attention", "full_attention").reversed()));
        assertConversionFails(dir, "layer_types is not periodic");
    }

    @Test
    void modelsRefusesAFolderThatIsNotACheckpoint() throws IOException {
        Files.writeString(tmp.resolve("notes.txt"), "hello");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Models.load(tmp));
        assertTrue(e.getMessage().contains("is a directory but not a Hugging Face checkpoint"), e.getMessage());
    }

    private Path checkpoint() throws IOException {
        return HfFixture.write(tmp.resolve("ckpt"), HfFixture.qwen3(), HfFixture.Dtype.F32, 1, 1).dir();
    }

    private void assertConversionFails(Path dir, String expected) {
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> CheckpointConverter.convert(dir, tmp.resolve("out.gguf"), TargetType.Q8_0, line -> { }));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertFalse(Files.exists(tmp.resolve("out.gguf")), "nothing written");
    }

    @SuppressWarnings("unchecked")
    private static void editConfig(Path dir, Consumer<Map<String, Object>> edit) throws IOException {
        Path file = dir.resolve("config.json");
        Map<String, Object> c = Json.parseObject(Files.readString(file));
        edit.accept(c);
        Files.writeString(file, Json.write(c));
    }

    private static void editWeights(Path dir, Consumer<Map<String, SafetensorsBytes.Tensor>> edit) throws IOException {
        Path file = dir.resolve("model.safetensors");
        Map<String, SafetensorsBytes.Tensor> tensors = new LinkedHashMap<>();
        try (Safetensors s = Safetensors.open(file)) {
            for (Safetensors.Entry e : s.tensors().values()) {
                tensors.put(e.name(), new SafetensorsBytes.Tensor(e.dtype().name(), e.shape(), e.data().toArray(ValueLayout.JAVA_BYTE)));
            }
        }
        edit.accept(tensors);
        Files.write(file, SafetensorsBytes.encode(tensors));
    }
}
