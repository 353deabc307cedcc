package dev.qwen4j.hub;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelRefTest {
    private static ModelRef.HubModel hub(String spec) {
        return assertInstanceOf(ModelRef.HubModel.class, ModelRef.parse(spec));
    }

    @Test
    void noNameMeansTheDefaultModel() {
        ModelRef.HubModel m = hub(null);
        assertEquals("unsloth/Qwen3.5-0.8B-GGUF", m.repo());
        assertEquals("Q4_K_M", m.defaultQuant());
        assertNull(m.quant());
        assertEquals(m, hub("  "));
    }

    @Test
    void catalogueNamesMapToTheirRepos() {
        assertEquals("unsloth/Qwen3.5-9B-GGUF", hub("qwen3.5:9b").repo());
        assertEquals("Qwen/Qwen3-1.7B-GGUF", hub("qwen3:1.7b").repo());
        assertEquals("Q8_0", hub("qwen3:1.7b").defaultQuant());
        assertEquals("Qwen/Qwen2.5-0.5B-Instruct-GGUF", hub("Qwen2.5:0.5B").repo());
        assertEquals("bartowski/Qwen2.5-7B-Instruct-GGUF", hub("qwen2.5:7b").repo());
    }

    @Test
    void aFamilyAloneTakesItsDefaultSize() {
        assertEquals("Qwen/Qwen3-0.6B-GGUF", hub("qwen3").repo());
        assertEquals("unsloth/Qwen3.5-0.8B-GGUF", hub("qwen3.5").repo());
    }

    @Test
    void quantSuffixesWorkWithDashOrColon() {
        assertEquals("Q8_0", hub("qwen3.5:0.8b-q8_0").quant());
        assertEquals("Q4_K_M", hub("qwen3:4b:q4_k_m").quant());
        assertEquals("UD-Q4_K_XL", hub("qwen3.5:2b-UD-Q4_K_XL").quant());
    }

    @Test
    void anUnknownSizeListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelRef.parse("qwen3:14b"));
        assertEquals("unknown model size '14b' for qwen3; known: qwen3:0.6b, qwen3:1.7b, qwen3:4b, qwen3:8b", e.getMessage());
    }

    @Test
    void hfCoNamesCarryRepoAndQuant() {
        ModelRef.HubModel m = hub("hf.co/bartowski/Qwen2.5-7B-Instruct-GGUF:q5_k_m");
        assertEquals("bartowski/Qwen2.5-7B-Instruct-GGUF", m.repo());
        assertEquals("Q5_K_M", m.quant());
        assertNull(m.file());
        assertEquals("Qwen/Qwen3-4B-GGUF", hub("https://huggingface.co/Qwen/Qwen3-4B-GGUF").repo());
    }

    @Test
    void hfCoNamesMayNameAFileOrABrowserUrl() {
        assertEquals("Qwen3-4B-Q6_K.gguf", hub("hf.co/Qwen/Qwen3-4B-GGUF/Qwen3-4B-Q6_K.gguf").file());
        assertEquals("sub/x-Q8_0.gguf", hub("https://huggingface.co/u/r/blob/main/sub/x-Q8_0.gguf").file());
    }

    @Test
    void aMalformedHubNameIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> ModelRef.parse("hf.co/onlyuser"));
    }

    @Test
    void anythingElseIsAPath() {
        ModelRef ref = ModelRef.parse("models/qwen3-0.6b.gguf");
        assertEquals(new ModelRef.LocalFile(Path.of("models/qwen3-0.6b.gguf")), ref);
        assertInstanceOf(ModelRef.LocalFile.class, ModelRef.parse("/tmp/qwen3:0.6b.gguf"));
        assertTrue(ModelRef.parse("llama3").displayName().contains("llama3"));
    }
}
