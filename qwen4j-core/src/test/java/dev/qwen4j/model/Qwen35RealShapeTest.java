package dev.qwen4j.model;

import dev.qwen4j.model.synthetic.SyntheticModel;
import dev.qwen4j.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Qwen3.5-0.8B's real structure (24 layers, 8/2 heads × 256, 16/16 DeltaNet heads × 128, hidden 1024, FFN 3584)
 * from a generated random-weight Q8_0 file. By default the vocabulary (4096) and FFN width (512) are cut so the
 * file is ~0.3 GB instead of ~0.8 GB (the attention and DeltaNet layers keep their real sizes);
 * {@code -Dqwen4j.big=true} uses the full shape.
 */
class Qwen35RealShapeTest {
    private static final boolean BIG = Boolean.getBoolean("qwen4j.big");

    @Test
    void loadsAndRunsTheRealQwen35Shape(@TempDir Path dir) throws IOException {
        SyntheticModel.Shape shape = SyntheticModel.preset("qwen3.5-0.8b");
        if (!BIG) {
            ModelConfig c = shape.config();
            shape = shape.withVocabulary(4096).withSizes(c.hidden(), c.layers(), 512, c.heads(), c.kvHeads())
                    .withTiedEmbeddings(true).withMtpLayers(0);
        }
        Path file = dir.resolve("qwen3.5-0.8b-synthetic-Q8_0.gguf");
        long t0 = System.nanoTime();
        SyntheticModel.write(file, shape, GgmlType.Q8_0, 42);
        long t1 = System.nanoTime();
        try (LanguageModel m = Models.load(file, LoadOptions.defaults())) {
            long t2 = System.nanoTime();
            assertEquals(shape.config().vocabSize(), m.vocabSize());
            ModelState s = m.newState(256);
            int[] ids = {1, 2, 300, 270, 256 + 1, 5};
            float[] logits = new float[m.vocabSize()];
            m.forward(s, ids, 0, 5, logits, false);
            long t3 = System.nanoTime();
            m.forward(s, ids, 5, 1, logits, false);
            long t4 = System.nanoTime();
            for (float f : logits) assertTrue(Float.isFinite(f));
            assertTrue(LogitMetrics.topGap(logits, 0, logits.length) >= 0);
            assertEquals(6, s.position());
            // 18 DeltaNet layers × (16 heads × 128 × 128 + 6144 channels × 3) floats of recurrent state
            long recurrent = 18L * 4 * (16 * 128 * 128 + 6144 * 3);
            assertTrue(s.byteSize() >= recurrent, "state " + s.byteSize());
            Runtime rt = Runtime.getRuntime();
            System.gc();    // report the live heap, not the writer's garbage
            System.out.printf("qwen3.5-0.8b shape (vocab %d, FFN %d, Q8_0): file %.0f MB written in %.1f s, load %.2f s, 5-token prompt %.2f s,"
                            + " 1 decode step %.2f s; state %.1f MB; live heap %.0f MB (committed %.0f MB); RSS %s%n",
                    m.vocabSize(), shape.config().ffn(), Files.size(file) / 1e6, (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9, (t4 - t3) / 1e9,
                    s.byteSize() / 1e6, (rt.totalMemory() - rt.freeMemory()) / 1e6, rt.totalMemory() / 1e6, rss());
        }
    }

    private static String rss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) return line.substring(6).trim();
        }
        return "n/a";
    }
}
