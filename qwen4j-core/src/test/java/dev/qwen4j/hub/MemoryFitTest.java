package dev.qwen4j.hub;

import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.gguf.GgufWriter;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryFitTest {
    static final long GIB = 1L << 30;

    static GgufFile qwen3Like() throws IOException {
        return GgufFile.parse(new GgufWriter()
                .putString("general.architecture", "qwen3")
                .putUInt32("qwen3.block_count", 28)
                .putUInt32("qwen3.context_length", 40960)
                .putUInt32("qwen3.embedding_length", 1024)
                .putUInt32("qwen3.attention.head_count", 16)
                .putUInt32("qwen3.attention.head_count_kv", 8)
                .putUInt32("qwen3.attention.key_length", 128)
                .putUInt32("qwen3.attention.value_length", 128)
                .putUInt32("qwen3.vocab_size", 151936)
                .toBytes());
    }

    /** The real Qwen3.5-0.8B GGUF's keys (QWEN_SPEC.md §4.8), with one MTP block appended. */
    static GgufFile qwen35Like() throws IOException {
        return GgufFile.parse(new GgufWriter()
                .putString("general.architecture", "qwen35")
                .putUInt32("qwen35.block_count", 25)
                .putUInt32("qwen35.nextn_predict_layers", 1)
                .putUInt32("qwen35.context_length", 262144)
                .putUInt32("qwen35.embedding_length", 1024)
                .putUInt32("qwen35.attention.head_count", 8)
                .putUInt32("qwen35.attention.head_count_kv", 2)
                .putUInt32("qwen35.attention.key_length", 256)
                .putUInt32("qwen35.attention.value_length", 256)
                .putUInt32("qwen35.ssm.conv_kernel", 4)
                .putUInt32("qwen35.ssm.state_size", 128)
                .putUInt32("qwen35.ssm.group_count", 16)
                .putUInt32("qwen35.ssm.time_step_rank", 16)
                .putUInt32("qwen35.ssm.inner_size", 2048)
                .putUInt32("qwen35.full_attention_interval", 4)
                .putStrings("tokenizer.ggml.tokens", "a", "b", "c")
                .toBytes());
    }

    @Test
    void aDenseModelKeepsKeysAndValuesOfEveryLayer() throws IOException {
        MemoryFit.ModelShape s = MemoryFit.ModelShape.of(qwen3Like());
        assertEquals(28, s.attentionLayers());
        assertEquals(0, s.recurrentLayers());
        assertEquals(28L * 2 * 8 * 128 * 4, s.kvBytesPerToken());
        assertEquals(28L * 2 * 8 * 128 * 4 * 4096, MemoryFit.estimate(s, 0, 4096).kvCacheBytes());
        assertEquals(0, s.recurrentStateBytes());
    }

    @Test
    void qwen35CachesOnlyItsAttentionLayersAndAddsDeltaNetState() throws IOException {
        MemoryFit.ModelShape s = MemoryFit.ModelShape.of(qwen35Like());
        assertEquals(6, s.attentionLayers()); // layers 3, 7, …, 23; the MTP block is not counted
        assertEquals(18, s.recurrentLayers());
        assertEquals(6L * 2 * 2 * 256 * 4, s.kvBytesPerToken());
        long perLayer = 16L * 128 * 128 + 3L * (2 * 16 * 128 + 2048); // state matrices + conv window
        assertEquals(18 * perLayer * 4, s.recurrentStateBytes());
        assertEquals(3, s.vocabSize());
    }

    @Test
    void aModelThatFitsInAvailableMemoryPassesSilently() throws IOException {
        MemoryFit.Verdict v = MemoryFit.check("qwen3:0.6b", MemoryFit.ModelShape.of(qwen3Like()), 600L << 20, 4096,
                new MemoryFit.Machine(16 * GIB, 12 * GIB));
        assertTrue(v.fits());
        assertNull(v.message());
    }

    @Test
    void moreThanAvailableButLessThanTotalIsAWarning() throws IOException {
        MemoryFit.Verdict v = MemoryFit.check("qwen3:0.6b", MemoryFit.ModelShape.of(qwen3Like()), 600L << 20, 4096,
                new MemoryFit.Machine(16 * GIB, GIB));
        assertTrue(v.fits());
        assertTrue(v.message().startsWith("warning: qwen3:0.6b needs about"), v.message());
    }

    @Test
    void tooLargeIsRefusedWithTheLongestContextThatFits() throws IOException {
        MemoryFit.ModelShape s = MemoryFit.ModelShape.of(qwen3Like());
        MemoryFit.Machine machine = new MemoryFit.Machine(8 * GIB, 6 * GIB);

        MemoryFit.Verdict v = MemoryFit.check("qwen3:8b", s, 5 * GIB, 32768, machine);

        assertFalse(v.fits());
        // room = 8 GiB − 5 GiB − 256 MiB − 4·vocab·4 B; / 229376 B per token = 12862, rounded down to 256s
        assertEquals(12800, v.largestFittingContext());
        assertTrue(v.message().contains("will not fit in memory"), v.message());
        assertTrue(v.message().contains("this machine has 8.00 GiB"), v.message());
        assertTrue(v.message().contains("--ctx 12800"), v.message());
        assertTrue(MemoryFit.estimate(s, 5 * GIB, 12800).total() <= machine.totalBytes());
        assertTrue(MemoryFit.estimate(s, 5 * GIB, 12800 + 256).total() > machine.totalBytes());
    }

    @Test
    void weightsLargerThanTheMachineSuggestASmallerModel() throws IOException {
        MemoryFit.Verdict v = MemoryFit.check("qwen3:8b", MemoryFit.ModelShape.of(qwen3Like()), 9 * GIB, 512,
                new MemoryFit.Machine(8 * GIB, 8 * GIB));
        assertFalse(v.fits());
        assertEquals(0, v.largestFittingContext());
        assertTrue(v.message().endsWith("try a smaller quant or a smaller model"), v.message());
    }

    @Test
    void theSuggestedContextNeverExceedsTheTrainedOne() throws IOException {
        assertEquals(40960, MemoryFit.largestContext(MemoryFit.ModelShape.of(qwen3Like()), GIB, 1024 * GIB));
    }

    @Test
    void requireReadsTheFileAndRefusesAnImpossibleContext(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws IOException {
        java.nio.file.Path file = dir.resolve("m.gguf");
        java.nio.file.Files.write(file, new GgufWriter().putString("general.architecture", "qwen3")
                .putUInt32("qwen3.block_count", 28).putUInt32("qwen3.attention.head_count", 16)
                .putUInt32("qwen3.attention.head_count_kv", 8).putUInt32("qwen3.attention.key_length", 128).toBytes());
        // 2^31 tokens × 229 KiB per token is far beyond any machine
        MemoryFit.NotEnoughMemoryException e = org.junit.jupiter.api.Assertions.assertThrows(
                MemoryFit.NotEnoughMemoryException.class, () -> MemoryFit.require("m", file, Integer.MAX_VALUE));
        assertTrue(e.getMessage().startsWith("m will not fit in memory"), e.getMessage());
        assertTrue(MemoryFit.require("m", file, 16).fits());
    }

    @Test
    void thisMachineReportsSomeMemory() {
        MemoryFit.Machine m = MemoryFit.Machine.current();
        assertTrue(m.totalBytes() > 0);
        assertTrue(m.availableBytes() > 0 && m.availableBytes() <= m.totalBytes());
    }
}
