package dev.qwen4j.model;

import dev.qwen4j.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every llama.cpp reference in fixtures/refs, fed exactly as fixtures/README.md §3 says: the 40 prompt ids as one
 * batch, then 16 single-token decode steps with the reference's greedy ids. Every logit row is compared.
 */
class LlamaCppReferenceTest {

    /**
     * {@code tolerance}: max rel-L2 of any row. {@code closeRows}: how many leading rows must match to 1e-6 — with
     * Q8_0 weights the kernels quantize activations exactly as llama.cpp does, so rows agree to float noise until
     * the first rounding flip (fixtures README §4: none in qwen3-micro-Q8_0, after row 8 in qwen35-micro-Q8_0).
     */
    @ParameterizedTest(name = "{0}.{1} within rel-L2 {2}, first {4} rows within 1e-6, {3} KV cache")
    @CsvSource({
            "qwen3-micro-F32,  exact,   1e-4, F32, 56",
            "qwen2-micro-F32,  exact,   1e-4, F32, 56",
            "qwen35-micro-F32, exact,   1e-4, F32, 0",
            "qwen35-micro-F32, default, 3e-3, F32, 0",
            "qwen35-micro-F32, default, 3e-3, F16, 0",
            "qwen3-micro-F32,  exact,   3e-3, F16, 0",
            "qwen35-micro-F16, exact,   3e-3, F32, 0",
            "qwen3-micro-Q8_0, exact,   1e-6, F32, 56",
            "qwen35-micro-Q8_0, exact,  5e-2, F32, 9",
    })
    void logitsMatchLlamaCpp(String model, String mode, double tolerance, LoadOptions.KvCacheType kv, int closeRows) throws Exception {
        String ref = model + "." + mode;
        int[] ids = Arrays.stream(Files.readString(Fixtures.refs(ref + ".ids.txt")).trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
        Npy expected = Npy.read(Fixtures.refs(ref + ".logits.npy"));
        assertEquals(56, ids.length);
        assertEquals(56, expected.rows());

        float[] actual = new float[56 * expected.cols()];
        try (LanguageModel m = Models.load(Fixtures.model(model + ".gguf"), LoadOptions.defaults().withThreads(1).withKvCacheType(kv))) {
            int v = m.vocabSize();
            assertEquals(expected.cols(), v);
            ModelState state = m.newState(64);
            float[] prompt = new float[40 * v];
            m.forward(state, ids, 0, 40, prompt, true);
            System.arraycopy(prompt, 0, actual, 0, prompt.length);
            float[] step = new float[v];
            for (int i = 40; i < 56; i++) {
                m.forward(state, ids, i, 1, step, false);
                System.arraycopy(step, 0, actual, i * v, v);
            }
            assertEquals(56, state.position());
        }

        int v = expected.cols();
        double worst = 0;
        int worstRow = -1;
        for (int r = 0; r < 56; r++) {
            double e = LogitMetrics.relL2(actual, r * v, expected.data(), r * v, v);
            if (e > worst) {
                worst = e;
                worstRow = r;
            }
            if (r < closeRows) assertTrue(e <= 1e-6, ref + " row " + r + ": rel-L2 " + e + " (expected float noise only)");
            if (LogitMetrics.topGap(expected.data(), r * v, v) > 1e-3) {
                assertEquals(LogitMetrics.argmax(expected.data(), r * v, v), LogitMetrics.argmax(actual, r * v, v), ref + " row " + r + " top-1");
            }
        }
        for (int r = 39; r < 55; r++) {
            assertEquals(ids[r + 1], LogitMetrics.argmax(actual, r * v, v), ref + ": greedy id after row " + r);
        }
        System.out.printf("%s (%s KV): max rel-L2 %.3g (row %d)%n", ref, kv, worst, worstRow);
        assertTrue(worst <= tolerance, ref + ": max rel-L2 " + worst + " at row " + worstRow + " exceeds " + tolerance);
    }
}
