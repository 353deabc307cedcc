package dev.qwen4j.convert;

import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.model.LanguageModel;
import dev.qwen4j.model.LoadOptions;
import dev.qwen4j.model.ModelState;
import dev.qwen4j.model.Models;
import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random-weight HF checkpoints converted to GGUF and run by the engine, against {@link HfReference} computed
 * from the checkpoint's own tensors in HF conventions. qwen35 has 2 key / 4 value heads, so a missing or wrong
 * V-head reorder, norm fold or {@code A_log} transform changes the logits far beyond the tolerance.
 */
class CheckpointConversionTest {
    private static final int[] PROMPT = ids(1, 14);
    private static final int[] DECODE = ids(2, 4);

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0} {1}, {2} shard(s)")
    @CsvSource({
            "qwen2,  F32,  1",
            "qwen3,  F32,  1",
            "qwen35, F32,  1",
            "qwen2,  BF16, 2",
            "qwen3,  F16,  2",
            "qwen35, BF16, 2",
    })
    void convertedToF32GivesTheLogitsOfTheCheckpoint(String arch, HfFixture.Dtype dtype, int shards) throws Exception {
        HfFixture.Checkpoint ckpt = HfFixture.write(tmp.resolve("ckpt"), shape(arch), dtype, shards, 11);
        Path gguf = tmp.resolve("out.gguf");
        CheckpointConverter.convert(ckpt.dir(), gguf, TargetType.F32, line -> { });
        double worst = maxRelL2(engineLogits(gguf), referenceLogits(ckpt), ckpt.shape().vocab());
        System.out.printf("HF %s %s → GGUF F32 vs HF reference: max rel-L2 %.3g%n", arch, dtype, worst);
        assertTrue(worst < 1e-4, arch + " " + dtype + ": max rel-L2 " + worst);
    }

    @Test
    void qwen35TextOnlyLayoutWithTiedEmbeddingsConverts() throws Exception {
        HfFixture.Shape shape = HfFixture.qwen35().withMultimodal(false).withTied(true);
        HfFixture.Checkpoint ckpt = HfFixture.write(tmp.resolve("ckpt"), shape, HfFixture.Dtype.F32, 1, 12);
        Path gguf = tmp.resolve("out.gguf");
        CheckpointConverter.convert(ckpt.dir(), gguf, TargetType.F32, line -> { });
        try (GgufFile f = GgufFile.open(gguf)) {
            assertFalse(f.findTensor("output.weight").isPresent(), "tied: no output.weight");
        }
        double worst = maxRelL2(engineLogits(gguf), referenceLogits(ckpt), shape.vocab());
        assertTrue(worst < 1e-4, "max rel-L2 " + worst);
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"qwen3, F32, 1e-4", "qwen35, F32, 1e-4", "qwen35, BF16, 2e-2", "qwen2, F16, 3e-3"})
    void modelsLoadsACheckpointFolderDirectly(String arch, HfFixture.Dtype dtype, double tolerance) throws Exception {
        HfFixture.Checkpoint ckpt = HfFixture.write(tmp.resolve("ckpt"), shape(arch), dtype, 1, 13);
        double worst = maxRelL2(engineLogits(ckpt.dir()), referenceLogits(ckpt), ckpt.shape().vocab());
        System.out.printf("Models.load(HF %s %s folder) vs HF reference: max rel-L2 %.3g%n", arch, dtype, worst);
        assertTrue(worst < tolerance, "max rel-L2 " + worst);
    }

    @Test
    void aTemporaryGgufCarriesTokenizerAndTemplateForTheEngine() throws Exception {
        HfFixture.Checkpoint ckpt = HfFixture.write(tmp.resolve("Qwen-Test"), HfFixture.qwen3(), HfFixture.Dtype.BF16, 1, 14);
        Path gguf = CheckpointLoader.temporaryGguf(ckpt.dir());
        try (dev.qwen4j.generate.Engine engine = dev.qwen4j.generate.Engine.load(gguf)) {
            assertEquals("Qwen-Test", engine.name());
            assertArrayEquals(new int[] {2023, 872, 198, 39, 301, 385, 2024}, engine.tokenizer().encode("<|im_start|>user\nHello<|im_end|>", true));
        } finally {
            Files.delete(gguf);
        }
    }

    @Test
    void loadingAFolderKeepsTheStoredWeightTypes() throws Exception {
        HfFixture.Checkpoint ckpt = HfFixture.write(tmp.resolve("ckpt"), HfFixture.qwen35(), HfFixture.Dtype.BF16, 1, 14);
        try (HfCheckpoint c = HfCheckpoint.open(ckpt.dir())) {
            Path gguf = tmp.resolve("source.gguf");
            CheckpointConverter.writer(c, TargetType.SOURCE, line -> { }).write(gguf);
            try (GgufFile f = GgufFile.open(gguf)) {
                assertEquals(GgmlType.BF16, f.tensor("blk.0.attn_qkv.weight").type());
                assertEquals(GgmlType.BF16, f.tensor("token_embd.weight").type());
                assertEquals(GgmlType.F32, f.tensor("blk.0.attn_norm.weight").type());
                assertEquals(GgmlType.F32, f.tensor("blk.0.ssm_conv1d.weight").type());
                assertFalse(f.has("general.file_type"));
            }
        }
    }

    /**
     * Loose bounds: random micro models amplify weight rounding (QWEN_SPEC fixtures README §4), and their logits
     * have small top-1 margins; measured values are about two thirds of each bound.
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "qwen3,  Q8_0,   0.03, 0.9",
            "qwen35, Q8_0,   0.06, 0.85",
            "qwen3,  Q4_0,   0.40, 0.6",
            "qwen35, Q4_0,   0.50, 0.4",
            "qwen3,  Q4_K_M, 0.25, 0.6",
            "qwen35, Q4_K_M, 0.40, 0.3",
    })
    void quantizedLogitsStayCloseToF32(String arch, TargetType type, double maxRelL2, double minTop1) throws Exception {
        HfFixture.Checkpoint ckpt = HfFixture.write(tmp.resolve("ckpt"), shape(arch), HfFixture.Dtype.BF16, 1, 15);
        Path f32 = tmp.resolve("f32.gguf"), quant = tmp.resolve("q.gguf");
        CheckpointConverter.convert(ckpt.dir(), f32, TargetType.F32, line -> { });
        CheckpointConverter.convert(ckpt.dir(), quant, type, line -> { });
        float[] exact = engineLogits(f32), approx = engineLogits(quant);
        int v = ckpt.shape().vocab();
        double worst = maxRelL2(approx, exact, v);
        double top1 = top1Agreement(approx, exact, v);
        System.out.printf("HF %s → %s vs F32: max rel-L2 %.3g, top-1 agreement %.2f%n", arch, type, worst, top1);
        assertTrue(worst < maxRelL2, type + ": max rel-L2 " + worst);
        assertTrue(top1 >= minTop1, type + ": top-1 agreement " + top1);
        assertTrue(Files.size(quant) < Files.size(f32) / 3, "quantized file should be much smaller");
    }

    @Test
    void q4KMMixUsesQ6KForTheHeadAndSomeAttnVAndFfnDown() throws Exception {
        HfFixture.Checkpoint ckpt = HfFixture.write(tmp.resolve("ckpt"), HfFixture.qwen3(), HfFixture.Dtype.BF16, 1, 16);
        Path gguf = tmp.resolve("q.gguf");
        CheckpointConverter.convert(ckpt.dir(), gguf, TargetType.Q4_K_M, line -> { });
        try (GgufFile f = GgufFile.open(gguf)) {
            assertEquals(GgmlType.Q6_K, f.tensor("token_embd.weight").type(), "tied head");
            // 2 layers: layer 1 is in the last eighth of the stack, layer 0 is not in a "more bits" position
            assertEquals(GgmlType.Q6_K, f.tensor("blk.1.attn_v.weight").type());
            assertEquals(GgmlType.Q6_K, f.tensor("blk.1.ffn_down.weight").type());
            assertEquals(GgmlType.Q4_K, f.tensor("blk.0.attn_v.weight").type());
            assertEquals(GgmlType.Q4_K, f.tensor("blk.0.ffn_down.weight").type());
            assertEquals(GgmlType.Q4_K, f.tensor("blk.0.attn_q.weight").type());
            assertEquals(GgmlType.Q4_K, f.tensor("blk.1.ffn_up.weight").type());
            assertEquals(GgmlType.F32, f.tensor("blk.0.attn_q_norm.weight").type());
            assertEquals(15, f.getInt("general.file_type"));
            assertEquals(2, f.getInt("general.quantization_version"));
        }
    }

    @Test
    void q4KMGivesTheDeltaNetQkvProjectionQ6K() throws Exception {
        HfFixture.Checkpoint ckpt = HfFixture.write(tmp.resolve("ckpt"), HfFixture.qwen35(), HfFixture.Dtype.BF16, 1, 16);
        Path gguf = tmp.resolve("q.gguf");
        CheckpointConverter.convert(ckpt.dir(), gguf, TargetType.Q4_K_M, line -> { });
        try (GgufFile f = GgufFile.open(gguf)) {
            assertEquals(GgmlType.Q6_K, f.tensor("blk.1.attn_qkv.weight").type());
            assertEquals(GgmlType.Q6_K, f.tensor("output.weight").type());
            assertEquals(GgmlType.Q4_K, f.tensor("token_embd.weight").type(), "untied: the embedding is not the head");
            assertEquals(GgmlType.Q4_K, f.tensor("blk.1.attn_gate.weight").type());
            assertEquals(GgmlType.Q4_K, f.tensor("blk.1.ssm_out.weight").type());
            assertEquals(GgmlType.F32, f.tensor("blk.1.ssm_conv1d.weight").type());
            assertEquals(GgmlType.F32, f.tensor("blk.1.ssm_a").type());
        }
    }

    @Test
    void q4_0KeepsAnUntiedOutputHeadAtQ6K() throws Exception {
        HfFixture.Checkpoint ckpt = HfFixture.write(tmp.resolve("ckpt"), HfFixture.qwen2(), HfFixture.Dtype.BF16, 1, 16);
        Path gguf = tmp.resolve("q.gguf");
        CheckpointConverter.convert(ckpt.dir(), gguf, TargetType.Q4_0, line -> { });
        try (GgufFile f = GgufFile.open(gguf)) {
            assertEquals(GgmlType.Q6_K, f.tensor("output.weight").type());
            assertEquals(GgmlType.Q4_0, f.tensor("token_embd.weight").type());
            assertEquals(GgmlType.Q4_0, f.tensor("blk.1.ffn_down.weight").type());
            assertEquals(GgmlType.F32, f.tensor("blk.0.attn_q.bias").type());
            assertEquals(2, f.getInt("general.file_type"));
        }
    }

    @Test
    void ggufRequantizationEqualsConvertingDirectly() throws Exception {
        HfFixture.Checkpoint ckpt = HfFixture.write(tmp.resolve("ckpt"), HfFixture.qwen35(), HfFixture.Dtype.BF16, 1, 17);
        Path f32 = tmp.resolve("f32.gguf"), direct = tmp.resolve("direct.gguf"), requant = tmp.resolve("requant.gguf");
        CheckpointConverter.convert(ckpt.dir(), f32, TargetType.F32, line -> { });
        CheckpointConverter.convert(ckpt.dir(), direct, TargetType.Q4_K_M, line -> { });
        GgufRequantizer.requantize(f32, requant, TargetType.Q4_K_M, line -> { });
        try (GgufFile a = GgufFile.open(direct); GgufFile b = GgufFile.open(requant)) {
            assertEquals(a.tensors().size(), b.tensors().size());
            for (var t : a.tensors()) {
                var u = b.tensor(t.name());
                assertEquals(t.type(), u.type(), t.name());
                assertArrayEquals(t.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), u.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), t.name());
            }
            assertEquals(a.getInt("general.file_type"), b.getInt("general.file_type"));
        }
    }

    @Test
    void requantizingAQ8FixtureKeepsItsLogitsClose() throws Exception {
        Path q4 = tmp.resolve("q4.gguf");
        GgufRequantizer.requantize(Fixtures.model("qwen3-micro-Q8_0.gguf"), q4, TargetType.Q4_0, line -> { });
        float[] a = engineLogits(Fixtures.model("qwen3-micro-Q8_0.gguf")), b = engineLogits(q4);
        double worst = maxRelL2(b, a, 2048);
        assertTrue(worst < 0.5, "max rel-L2 " + worst);
        try (GgufFile f = GgufFile.open(q4)) {
            assertEquals(GgmlType.Q4_0, f.tensor("blk.0.attn_q.weight").type());
            assertEquals(GgmlType.F32, f.tensor("blk.0.attn_norm.weight").type());
            assertEquals(GgmlType.Q8_0, f.tensor("token_embd.weight").type(), "tied head: Q6_K wanted, rows of 128 fall back to Q8_0");
        }
    }

    @Test
    void tokenizerMetadataMatchesTheMicroFixture() throws Exception {
        HfFixture.Checkpoint ckpt = HfFixture.write(tmp.resolve("ckpt"), HfFixture.qwen35(), HfFixture.Dtype.BF16, 1, 18);
        Path gguf = tmp.resolve("out.gguf");
        CheckpointConverter.convert(ckpt.dir(), gguf, TargetType.Q8_0, line -> { });
        try (GgufFile f = GgufFile.open(gguf); GgufFile fixture = GgufFile.open(Fixtures.model("qwen3-micro-F32.gguf"))) {
            assertArrayEquals(fixture.getStringArray("tokenizer.ggml.tokens"), f.getStringArray("tokenizer.ggml.tokens"));
            assertArrayEquals(fixture.getIntArray("tokenizer.ggml.token_type"), f.getIntArray("tokenizer.ggml.token_type"));
            assertArrayEquals(fixture.getStringArray("tokenizer.ggml.merges"), f.getStringArray("tokenizer.ggml.merges"));
            assertEquals("gpt2", f.getString("tokenizer.ggml.model"));
            assertEquals("qwen35", f.getString("tokenizer.ggml.pre"));
            assertEquals(2024, f.getInt("tokenizer.ggml.eos_token_id"));
            assertEquals(2022, f.getInt("tokenizer.ggml.padding_token_id"));
            assertEquals(2022, f.getInt("tokenizer.ggml.bos_token_id"));
            assertFalse(f.getBoolean("tokenizer.ggml.add_bos_token", true));
            assertEquals(HfFixture.CHAT_TEMPLATE, f.getString("tokenizer.chat_template"));
            assertEquals("qwen35", f.architecture());
            assertEquals(5, f.getInt("qwen35.block_count"), "the MTP block kept as layer 4");
            assertEquals(1, f.getInt("qwen35.nextn_predict_layers"));
            assertEquals(32, f.getInt("qwen35.rope.dimension_count"));
            assertArrayEquals(new int[] {6, 5, 5, 0}, f.getIntArray("qwen35.rope.dimension_sections"));
            assertEquals(4, f.getInt("qwen35.full_attention_interval"));
            assertTrue(f.tensors().stream().noneMatch(t -> t.name().contains("visual")));
        }
    }

    /** §4.8.2 with n_k = 2, n_v = 4 (r = 2): GGUF value-head slot j = ρ·n_k + g holds HF head g·r + ρ; slot 1 is HF head 2. */
    @Test
    void qwen35TensorsAreReorderedFoldedAndSqueezedAsTheSpecSays() throws Exception {
        HfFixture.Checkpoint ckpt = HfFixture.write(tmp.resolve("ckpt"), HfFixture.qwen35(), HfFixture.Dtype.F32, 1, 19);
        Path gguf = tmp.resolve("out.gguf");
        CheckpointConverter.convert(ckpt.dir(), gguf, TargetType.F32, line -> { });
        String hf = "model.language_model.layers.0.";
        int h = 256, dv = 64, qk = 2 * 2 * 64, slot = 1, hfHead = 2;
        try (GgufFile f = GgufFile.open(gguf)) {
            float[] qkv = floats(f, "blk.0.attn_qkv.weight"), gate = floats(f, "blk.0.attn_gate.weight");
            double[] hfQkv = ckpt.values().get(hf + "linear_attn.in_proj_qkv.weight"), hfZ = ckpt.values().get(hf + "linear_attn.in_proj_z.weight");
            for (int i = 0; i < h; i++) {
                assertEquals(hfQkv[5 * h + i], qkv[5 * h + i], "q/k rows stay");
                assertEquals(hfQkv[(qk + hfHead * dv + 3) * h + i], qkv[(qk + slot * dv + 3) * h + i], "V rows move");
                assertEquals(hfZ[(hfHead * dv + 7) * h + i], gate[(slot * dv + 7) * h + i], "z rows move");
            }
            float[] ssmA = floats(f, "blk.0.ssm_a"), dt = floats(f, "blk.0.ssm_dt.bias"), beta = floats(f, "blk.0.ssm_beta.weight");
            double[] aLog = ckpt.values().get(hf + "linear_attn.A_log");
            assertEquals((float) -Math.exp(aLog[hfHead]), ssmA[slot], 1e-6);
            assertEquals((float) ckpt.values().get(hf + "linear_attn.dt_bias")[hfHead], dt[slot]);
            assertEquals((float) ckpt.values().get(hf + "linear_attn.in_proj_b.weight")[hfHead * h + 9], beta[slot * h + 9]);
            float[] out = floats(f, "blk.0.ssm_out.weight");
            double[] hfOut = ckpt.values().get(hf + "linear_attn.out_proj.weight");
            assertEquals((float) hfOut[10 * 256 + hfHead * dv + 5], out[10 * 256 + slot * dv + 5], "ssm_out columns move");
            float[] taps = floats(f, "blk.0.ssm_conv1d.weight");
            assertArrayEquals(new long[] {4, 512}, f.tensor("blk.0.ssm_conv1d.weight").shape());
            assertEquals((float) ckpt.values().get(hf + "linear_attn.conv1d.weight")[(qk + hfHead * dv) * 4 + 2], taps[(qk + slot * dv) * 4 + 2]);
            float[] norm = floats(f, "blk.0.attn_norm.weight"), ssmNorm = floats(f, "blk.0.ssm_norm.weight");
            assertEquals((float) (1 + ckpt.values().get(hf + "input_layernorm.weight")[3]), norm[3], 1e-7, "+1 fold");
            assertEquals((float) ckpt.values().get(hf + "linear_attn.norm.weight")[3], ssmNorm[3], "gated norm not folded");
            float[] qNorm = floats(f, "blk.3.attn_q_norm.weight");
            assertEquals((float) (1 + ckpt.values().get("model.language_model.layers.3.self_attn.q_norm.weight")[0]), qNorm[0], 1e-7);
        }
    }

    /** §4.9: the checkpoint's MTP block becomes layer L with nextn.* names, folded norms, and loads as a draft head. */
    @Test
    void qwen35MtpBlockBecomesTheDraftHead() throws Exception {
        HfFixture.Checkpoint ckpt = HfFixture.write(tmp.resolve("ckpt"), HfFixture.qwen35(), HfFixture.Dtype.F32, 1, 23);
        Path gguf = tmp.resolve("out.gguf");
        CheckpointConverter.convert(ckpt.dir(), gguf, TargetType.F32, line -> { });
        try (GgufFile f = GgufFile.open(gguf)) {
            float[] enorm = floats(f, "blk.4.nextn.enorm.weight"), eh = floats(f, "blk.4.nextn.eh_proj.weight");
            double[] hfNorm = ckpt.values().get("mtp.pre_fc_norm_embedding.weight"), hfFc = ckpt.values().get("mtp.fc.weight");
            for (int i = 0; i < enorm.length; i++) assertEquals((float) (1 + hfNorm[i]), enorm[i], 1e-7, "enorm " + i);
            assertArrayEquals(new long[] {512, 256}, f.tensor("blk.4.nextn.eh_proj.weight").shape());
            for (int i = 0; i < eh.length; i++) assertEquals((float) hfFc[i], eh[i], 0f, "eh_proj " + i);
            float[] q = floats(f, "blk.4.attn_q.weight");
            double[] hfQ = ckpt.values().get("mtp.layers.0.self_attn.q_proj.weight");
            for (int i = 0; i < q.length; i++) assertEquals((float) hfQ[i], q[i], 0f, "attn_q " + i);
            assertEquals((float) (1 + ckpt.values().get("mtp.norm.weight")[3]), floats(f, "blk.4.nextn.shared_head_norm.weight")[3], 1e-7);
        }
        try (LanguageModel m = Models.load(gguf, LoadOptions.defaults().withThreads(1))) {
            assertTrue(m.hasDraftHead());
            ModelState s = m.newState(16);
            assertTrue(m.enableDraftHead(s));
            m.forward(s, ids(3, 5), 0, 5, new float[m.vocabSize()], false);
            int guess = m.draftNext(s, 7);
            assertTrue(guess >= 0 && guess < m.vocabSize(), "a guess: " + guess);
        }
    }

    private static float[] floats(GgufFile f, String name) {
        var t = f.tensor(name);
        assertEquals(GgmlType.F32, t.type(), name);
        return t.data().toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN));
    }

    static HfFixture.Shape shape(String arch) {
        return switch (arch) {
            case "qwen2" -> HfFixture.qwen2();
            case "qwen3" -> HfFixture.qwen3();
            default -> HfFixture.qwen35();
        };
    }

    private static int[] ids(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = r.nextInt(2048);
        return ids;
    }

    /** The prompt as one batch, then single-token decode steps; every position's logits. */
    static float[] engineLogits(Path model) throws Exception {
        try (LanguageModel m = Models.load(model, LoadOptions.defaults().withThreads(1))) {
            int v = m.vocabSize();
            ModelState s = m.newState(32);
            float[] out = new float[(PROMPT.length + DECODE.length) * v];
            float[] all = new float[PROMPT.length * v];
            m.forward(s, PROMPT, 0, PROMPT.length, all, true);
            System.arraycopy(all, 0, out, 0, all.length);
            float[] step = new float[v];
            for (int i = 0; i < DECODE.length; i++) {
                m.forward(s, DECODE, i, 1, step, false);
                System.arraycopy(step, 0, out, (PROMPT.length + i) * v, v);
            }
            return out;
        }
    }

    static float[] referenceLogits(HfFixture.Checkpoint ckpt) {
        HfReference ref = new HfReference(ckpt);
        int v = ckpt.shape().vocab();
        float[] out = new float[(PROMPT.length + DECODE.length) * v];
        int pos = 0;
        for (int[] part : new int[][] {PROMPT, DECODE}) {
            for (int id : part) {
                double[] l = ref.next(id);
                for (int i = 0; i < v; i++) out[pos * v + i] = (float) l[i];
                pos++;
            }
        }
        return out;
    }

    static double maxRelL2(float[] actual, float[] expected, int v) {
        double worst = 0;
        for (int r = 0; r < expected.length / v; r++) {
            double num = 0, den = 0;
            for (int i = 0; i < v; i++) {
                double d = actual[r * v + i] - expected[r * v + i];
                num += d * d;
                den += (double) expected[r * v + i] * expected[r * v + i];
            }
            worst = Math.max(worst, Math.sqrt(num / den));
        }
        return worst;
    }

    static double top1Agreement(float[] a, float[] b, int v) {
        int rows = b.length / v, same = 0;
        for (int r = 0; r < rows; r++) if (argmax(a, r * v, v) == argmax(b, r * v, v)) same++;
        return (double) same / rows;
    }

    private static int argmax(float[] x, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (x[off + i] > x[off + best]) best = i;
        return best;
    }
}
