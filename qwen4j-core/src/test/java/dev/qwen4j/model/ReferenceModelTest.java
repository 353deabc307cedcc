package dev.qwen4j.model;

import dev.qwen4j.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The oracle itself is checked against llama.cpp first: the F32 exact dumps, teacher-forced on the 56 ids. */
class ReferenceModelTest {

    @ParameterizedTest
    @ValueSource(strings = {"qwen3-micro-F32", "qwen2-micro-F32", "qwen35-micro-F32"})
    void doublePrecisionReferenceMatchesLlamaCpp(String model) throws Exception {
        int[] ids = Arrays.stream(Files.readString(Fixtures.refs(model + ".exact.ids.txt")).trim().split("\\s+"))
                .mapToInt(Integer::parseInt).toArray();
        Npy expected = Npy.read(Fixtures.refs(model + ".exact.logits.npy"));
        try (ReferenceModel ref = new ReferenceModel(Fixtures.model(model + ".gguf"))) {
            for (int r = 0; r < 56; r++) {
                double[] logits = ref.next(ids[r]);
                double e = LogitMetrics.relL2(ModelTesting.toFloat(logits), expected.row(r));
                assertTrue(e < 2e-6, model + " row " + r + ": rel-L2 " + e);
            }
        }
    }
}
