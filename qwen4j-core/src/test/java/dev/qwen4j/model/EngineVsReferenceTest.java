package dev.qwen4j.model;

import dev.qwen4j.model.synthetic.SyntheticModel;
import dev.qwen4j.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine against the double-precision {@link ReferenceModel} on generated models of every architecture
 * (qwen2 with biases and an untied head, qwen3 tied, qwen35 untied with 2 key / 4 value heads) and weight type.
 * Tolerances: F32 is float-vs-double rounding only; the other types leave room for the kernels' activation
 * quantization (F16 rounding, Q8_0 blocks) that llama.cpp also does.
 */
class EngineVsReferenceTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "qwen3-micro,   F32,  1e-5",
            "qwen3-micro,   F16,  3e-3",
            "qwen3-micro,   BF16, 2e-2",
            "qwen3-micro,   Q8_0, 5e-2",
            "qwen2-micro,   F32,  1e-5",
            "qwen2-micro,   F16,  3e-3",
            "qwen2-micro,   Q8_0, 5e-2",
            "qwen3.5-micro, F32,  1e-5",
            "qwen3.5-micro, F16,  3e-3",
            "qwen3.5-micro, BF16, 2e-2",
            "qwen3.5-micro, Q8_0, 5e-2",
    })
    void engineMatchesDoublePrecisionReference(String preset, GgmlType type, double tolerance) throws Exception {
        Path file = dir.resolve(preset + "-" + type + ".gguf");
        SyntheticModel.write(file, SyntheticModel.preset(preset), type, 7);
        int[] prompt = ModelTesting.randomIds(1, 20, 282);
        int[] decode = ModelTesting.randomIds(2, 4, 282);
        double worst = worstRowAgainstReference(file, 1, prompt, decode);
        System.out.printf("engine vs reference, %s %s: max rel-L2 %.3g%n", preset, type, worst);
        assertTrue(worst <= tolerance, preset + " " + type + ": max rel-L2 " + worst);
    }

    /** Hidden 256 and FFN 512, so that K-quant blocks (256) fit most rows; the others fall back to Q8_0. */
    @ParameterizedTest(name = "{0} {1} (hidden 256)")
    @CsvSource({
            "qwen3-micro,   Q4_0, 5e-2",
            "qwen3-micro,   Q4_K, 5e-2",
            "qwen3-micro,   Q6_K, 5e-2",
            "qwen3.5-micro, Q4_K, 1e-1",     // random DeltaNet layers amplify activation rounding most
            "qwen2-micro,   Q6_K, 5e-2",
    })
    void engineMatchesReferenceWithQuantizedWeights(String preset, GgmlType type, double tolerance) throws Exception {
        SyntheticModel.Shape micro = SyntheticModel.preset(preset);
        ModelConfig c = micro.config();
        SyntheticModel.Shape wide = micro.withSizes(256, c.layers(), 512, c.heads(), c.kvHeads()).withMtpLayers(0);
        Path file = dir.resolve(preset + "-256-" + type + ".gguf");
        SyntheticModel.write(file, wide, type, 9);
        int[] prompt = ModelTesting.randomIds(1, 12, 282);
        int[] decode = ModelTesting.randomIds(2, 3, 282);
        double worst = worstRowAgainstReference(file, 1, prompt, decode);
        System.out.printf("engine vs reference, %s hidden 256 %s: max rel-L2 %.3g%n", preset, type, worst);
        assertTrue(worst <= tolerance, preset + " " + type + ": max rel-L2 " + worst);
    }

    /**
     * A prompt of several chunks (each after the first starting after cached positions) attends in tiles of
     * queries; group sizes 2, 3 and 8 make tiles hold whole tokens, straddle them, or hold two tokens' heads.
     */
    @ParameterizedTest(name = "{0}, {1} query heads over {2} KV heads")
    @CsvSource({
            "qwen3-micro,   4, 2",
            "qwen3-micro,   6, 2",
            "qwen3-micro,   8, 1",
            "qwen2-micro,   4, 2",
            "qwen3.5-micro, 0, 0",
    })
    void promptChunksAttendInTilesLikeTheReference(String preset, int heads, int kvHeads) throws Exception {
        SyntheticModel.Shape shape = SyntheticModel.preset(preset);
        if (heads > 0) {
            ModelConfig c = shape.config();
            shape = shape.withSizes(c.hidden(), 2, c.ffn(), heads, kvHeads).withMtpLayers(0);
        }
        Path file = dir.resolve(preset + "-" + heads + "x" + kvHeads + ".gguf");
        SyntheticModel.write(file, shape, GgmlType.F32, 11);
        int[] prompt = ModelTesting.randomIds(3, Decoder.CHUNK + 26, 282);
        int[] decode = ModelTesting.randomIds(4, 2, 282);
        double worst = worstRowAgainstReference(file, 2, prompt, decode);
        System.out.printf("engine vs reference, %s %d/%d heads, prompt of several chunks: max rel-L2 %.3g%n", preset, heads, kvHeads, worst);
        assertTrue(worst <= 1e-5, preset + ": max rel-L2 " + worst);
    }

    /**
     * The engine fed {@code prompt} as one prompt then {@code decode} one step at a time, on {@code threads} threads,
     * against the reference fed every token: the largest rel-L2 of any row's logits.
     */
    private static double worstRowAgainstReference(Path file, int threads, int[] prompt, int[] decode) throws Exception {
        float[] engine;
        try (LanguageModel m = Models.load(file, LoadOptions.defaults().withThreads(threads))) {
            ModelState s = m.newState(prompt.length + decode.length);
            engine = ModelTesting.concat(ModelTesting.promptLogits(m, s, prompt), ModelTesting.stepLogits(m, s, decode));
        }
        try (ReferenceModel ref = new ReferenceModel(file)) {
            int v = ref.vocab();
            int[] all = ModelTesting.concat(prompt, decode);
            double worst = 0;
            for (int i = 0; i < all.length; i++) {
                worst = Math.max(worst, LogitMetrics.relL2(engine, i * v, ModelTesting.toFloat(ref.next(all[i])), 0, v));
            }
            return worst;
        }
    }

    @Test
    void mtpBlocksAreSkipped() throws Exception {
        SyntheticModel.Shape shape = SyntheticModel.preset("qwen3.5-micro");
        Path plain = dir.resolve("plain.gguf"), withMtp = dir.resolve("mtp.gguf");
        SyntheticModel.write(plain, shape, GgmlType.F32, 3);
        SyntheticModel.write(withMtp, shape.withMtpLayers(1), GgmlType.F32, 3);
        int[] ids = ModelTesting.randomIds(4, 12, 282);
        try (LanguageModel a = Models.load(plain, LoadOptions.defaults().withThreads(1));
             LanguageModel b = Models.load(withMtp, LoadOptions.defaults().withThreads(1))) {
            ModelTesting.assertSameLogits(ModelTesting.promptLogits(a, a.newState(16), ids), ModelTesting.promptLogits(b, b.newState(16), ids), a.vocabSize());
        }
    }

    @Test
    void tiedQwen35UsesTheEmbeddingAsOutputHead() throws Exception {
        Path file = dir.resolve("tied.gguf");
        SyntheticModel.write(file, SyntheticModel.preset("qwen3.5-micro").withTiedEmbeddings(true), GgmlType.F32, 5);
        int[] ids = ModelTesting.randomIds(6, 6, 282);
        float[] engine;
        try (LanguageModel m = Models.load(file, LoadOptions.defaults().withThreads(1))) {
            engine = ModelTesting.promptLogits(m, m.newState(8), ids);
            assertEquals("qwen35", m.architecture());
        }
        try (ReferenceModel ref = new ReferenceModel(file)) {
            int v = ref.vocab();
            for (int i = 0; i < ids.length; i++) {
                double e = LogitMetrics.relL2(engine, i * v, ModelTesting.toFloat(ref.next(ids[i])), 0, v);
                assertTrue(e < 1e-5, "row " + i + ": " + e);
            }
        }
    }
}
