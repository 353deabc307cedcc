package dev.qwen4j.model.synthetic;

import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.model.Models;
import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SyntheticModelTest {
    @TempDir
    Path dir;

    @Test
    void writesTheRealTensorLayoutAndMetadata() throws Exception {
        Path file = dir.resolve("m.gguf");
        SyntheticModel.write(file, SyntheticModel.preset("qwen3.5-micro").withMtpLayers(1), GgmlType.Q8_0, 1);
        try (GgufFile g = GgufFile.open(file)) {
            assertEquals("qwen35", g.architecture());
            assertEquals(9, g.getInt("qwen35.block_count"));
            assertEquals(1, g.getInt("qwen35.nextn_predict_layers"));
            assertEquals(GgmlType.Q8_0, g.tensor("blk.0.attn_qkv.weight").type());
            assertEquals("128x256", g.tensor("blk.0.attn_qkv.weight").shapeString());
            assertEquals("128x256", g.tensor("blk.3.attn_q.weight").shapeString());   // per head [q | gate]
            assertEquals(GgmlType.F32, g.tensor("blk.0.ssm_conv1d.weight").type());   // row of 4 taps: no Q8_0 block fits
            assertTrue(g.tensor("blk.0.ssm_a").data().get(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, 0) <= -1f);
            assertTrue(g.findTensor("blk.8.nextn.eh_proj.weight").isPresent());
            assertTrue(g.findTensor("output.weight").isPresent());
            String[] tokens = g.getStringArray("tokenizer.ggml.tokens");
            assertEquals(512, tokens.length);
            assertEquals("!", tokens[0]);
            assertEquals("Ġ", tokens[220]);
            assertEquals("Ċ", tokens[198]);
            assertEquals("<|im_end|>", tokens[g.getInt("tokenizer.ggml.eos_token_id")]);
            assertEquals("<think>", tokens[SyntheticModel.FIRST_ADDED_TOKEN + 24]);
            assertEquals(Models.deltaNetConfig(g).valueHeads(), 4);
        }
    }

    @Test
    void presetsHaveTheSpecShapes() {
        var c = SyntheticModel.preset("qwen3.5-0.8b").config();
        assertEquals(1024, c.hidden());
        assertEquals(24, c.layers());
        assertEquals(248320, c.vocabSize());
        assertEquals(6144, SyntheticModel.preset("qwen3.5-0.8b").deltaNet().convDim());
        assertEquals(8192, SyntheticModel.preset("qwen3.5-9b").deltaNet().convDim());
        assertFalse(SyntheticModel.preset("qwen3.5-9b").tiedEmbeddings());
        assertEquals(128, SyntheticModel.preset("qwen3-0.6b").config().headDim());
    }

    @Test
    void parsesBenchSpecs() {
        var spec = SyntheticModel.parse("qwen3.5-0.8b:q8_0");
        assertEquals(GgmlType.Q8_0, spec.weightType());
        assertEquals("qwen35", spec.shape().config().architecture());
        assertEquals(GgmlType.F16, SyntheticModel.parse("Qwen3-0.6B:f16").weightType());
        var e = assertThrows(IllegalArgumentException.class, () -> SyntheticModel.parse("llama-7b:q8_0"));
        assertTrue(e.getMessage().contains("qwen3.5-0.8b"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SyntheticModel.parse("qwen3-micro:q9"));
        assertEquals(1, SyntheticModel.parse("qwen3.5-0.8b+mtp:q8_0").shape().mtpLayers());
        assertEquals(0, spec.shape().mtpLayers());
        assertThrows(IllegalArgumentException.class, () -> SyntheticModel.parse("qwen3-0.6b+mtp"), "MTP blocks are Qwen3.5's");
    }

    @Test
    void typesWithoutAnEncoderAreRefusedClearly() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> SyntheticModel.write(dir.resolve("x.gguf"), SyntheticModel.preset("qwen3-micro"), GgmlType.Q5_K, 1));
        assertTrue(e.getMessage().contains("Q5_K"), e.getMessage());
    }

    @Test
    void rowsThatDoNotFitTheBlockFallBackToQ8_0() throws Exception {
        Path file = dir.resolve("k.gguf");
        SyntheticModel.write(file, SyntheticModel.preset("qwen3-micro"), GgmlType.Q4_K, 1);
        try (GgufFile g = GgufFile.open(file)) {
            assertEquals(GgmlType.Q4_K, g.tensor("blk.0.ffn_down.weight").type());    // rows of 256
            assertEquals(GgmlType.Q8_0, g.tensor("blk.0.ffn_up.weight").type());      // rows of 128
        }
    }

    @Test
    void usedTensorsHaveTheirTypeAndNoExtraTensorsAreWritten() throws Exception {
        Path file = dir.resolve("q2.gguf");
        SyntheticModel.write(file, SyntheticModel.preset("qwen2-micro"), GgmlType.F16, 1);
        try (GgufFile g = GgufFile.open(file)) {
            // qwen2: 3 global (embedding, norm, untied head) + 4 layers × (2 norms, 4 attention, 3 biases, 3 FFN)
            assertEquals(3 + 4 * 12, g.tensors().size());
            for (Tensor t : g.tensors()) {
                assertEquals(t.shape().length == 1 ? GgmlType.F32 : GgmlType.F16, t.type(), t.name());
            }
        }
    }
}
