package dev.qwen4j.hub;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class QuantsTest {
    @Test
    void readsTheQuantOfPublishersFileNames() {
        assertEquals(Optional.of("Q8_0"), Quants.of("Qwen3-0.6B-Q8_0.gguf"));
        assertEquals(Optional.of("Q4_K_M"), Quants.of("qwen2.5-0.5b-instruct-q4_k_m.gguf"));
        assertEquals(Optional.of("UD-Q4_K_XL"), Quants.of("Qwen3.5-0.8B-UD-Q4_K_XL.gguf"));
        assertEquals(Optional.of("IQ4_XS"), Quants.of("Qwen2.5-7B-Instruct-IQ4_XS.gguf"));
        assertEquals(Optional.of("BF16"), Quants.of("Qwen3.5-2B-BF16.gguf"));
        assertEquals(Optional.of("Q4_K_M"), Quants.of("unsloth.Q4_K_M.gguf"));
        assertEquals(Optional.of("FP16"), Quants.of("sub/dir/qwen2.5-3b-instruct-fp16.gguf"));
    }

    @Test
    void ignoresProjectorsSplitPartsAndOtherFiles() {
        assertEquals(Optional.empty(), Quants.of("mmproj-F16.gguf"));
        assertEquals(Optional.empty(), Quants.of("qwen2.5-7b-instruct-q4_k_m-00001-of-00002.gguf"));
        assertEquals(Optional.empty(), Quants.of("README.md"));
        assertEquals(Optional.empty(), Quants.of("model.gguf"));
    }

    @Test
    void listsAvailableQuantsOnceInListingOrder() {
        List<String> files = List.of("README.md", "a-Q8_0.gguf", "a-Q4_K_M.gguf", "BF16/a-BF16-00001-of-00002.gguf",
                "mmproj-BF16.gguf", "sub/a-Q8_0.gguf");
        assertEquals(List.of("Q8_0", "Q4_K_M"), Quants.available(files));
        assertEquals(Optional.of("a-Q8_0.gguf"), Quants.fileFor(files, "q8_0"));
    }

    @Test
    void choosesThePreferredQuantOrTheBestAvailable() {
        assertEquals(Optional.of("Q8_0"), Quants.choose(List.of("Q4_K_M", "Q8_0"), "q8_0"));
        assertEquals(Optional.of("Q4_K_M"), Quants.choose(List.of("Q8_0", "Q4_K_M"), null));
        assertEquals(Optional.of("Q8_0"), Quants.choose(List.of("Q8_0", "Q2_K"), "Q4_K_M"));
        assertEquals(Optional.of("Q2_K"), Quants.choose(List.of("Q2_K"), null));
        assertEquals(Optional.empty(), Quants.choose(List.of(), null));
    }
}
