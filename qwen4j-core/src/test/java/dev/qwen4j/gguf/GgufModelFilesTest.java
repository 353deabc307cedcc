package dev.qwen4j.gguf;

import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.tensor.Tensor;
import dev.qwen4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Split models ({@code name-0000k-of-0000n.gguf}) open as one logical file. */
class GgufModelFilesTest {

    @TempDir
    Path dir;

    /** Splits a file the way gguf-split does: all metadata in shard 1, split.* keys in every shard. */
    private static void split(GgufFile source, Path dir, String name, int shards, boolean emptyFirst) throws IOException {
        List<Tensor> all = source.tensors();
        int perShard = (all.size() + shards - 1) / shards;
        for (int s = 0; s < shards; s++) {
            GgufWriter w = s == 0 ? GgufWriter.copyOfMetadata(source) : new GgufWriter();
            w.put("split.no", GgufValue.of(GgufValueType.UINT16, s));
            w.put("split.count", GgufValue.of(GgufValueType.UINT16, shards));
            w.put("split.tensors.count", GgufValue.of(GgufValueType.INT32, all.size()));
            if (!(emptyFirst && s == 0)) {
                int from = emptyFirst ? (s - 1) * all.size() / (shards - 1) : s * perShard;
                int to = emptyFirst ? s * all.size() / (shards - 1) : Math.min(all.size(), (s + 1) * perShard);
                for (Tensor t : all.subList(from, to)) w.addTensor(t.name(), t.type(), t.shape(), t.data());
            }
            w.write(dir.resolve(String.format("%s-%05d-of-%05d.gguf", name, s + 1, shards)));
        }
    }

    @Test
    void aSplitFixtureOpensAsTheOriginalModel() throws IOException {
        try (GgufFile original = GgufFile.open(Fixtures.model("qwen3-micro-F32.gguf"))) {
            split(original, dir, "qwen3-micro", 3, false);
            try (GgufModelFiles model = GgufModelFiles.open(dir.resolve("qwen3-micro-00001-of-00003.gguf"))) {
                assertEquals(3, model.shards().size());
                assertEquals("qwen3", model.architecture());
                assertEquals(4, model.header().getInt("qwen3.block_count"));
                assertEquals(original.tensors().size(), model.tensors().size());
                for (Tensor t : original.tensors()) {
                    Tensor u = model.tensor(t.name());
                    assertEquals(t.type(), u.type());
                    assertArrayEquals(t.shape(), u.shape());
                    assertEquals(-1, t.data().mismatch(u.data()), t.name());
                }
                assertSame(model.shards().get(2), model.shardOf(model.tensors().getLast()));
                assertTrue(model.totalSize() > original.fileSize());
            }
        }
    }

    @Test
    void anyShardOfTheSetOpensTheWholeSet() throws IOException {
        try (GgufFile original = GgufFile.open(Fixtures.model("qwen3-micro-Q8_0.gguf"))) {
            split(original, dir, "m", 2, false);
        }
        try (GgufModelFiles model = GgufModelFiles.open(dir.resolve("m-00002-of-00002.gguf"))) {
            assertEquals(2, model.shards().size());
            assertEquals(46, model.tensors().size());
            assertEquals("qwen3", model.architecture());
        }
    }

    @Test
    void aMetadataOnlyFirstShardIsAllowed() throws IOException {
        try (GgufFile original = GgufFile.open(Fixtures.model("qwen3-micro-Q8_0.gguf"))) {
            split(original, dir, "m", 3, true);
        }
        try (GgufModelFiles model = GgufModelFiles.open(dir.resolve("m-00001-of-00003.gguf"))) {
            assertEquals(0, model.shards().getFirst().tensors().size());
            assertEquals(46, model.tensors().size());
            assertEquals(GgmlType.Q8_0, model.tensor("token_embd.weight").type());
        }
    }

    @Test
    void aSingleFileIsAModelOfOneShard() throws IOException {
        try (GgufModelFiles model = GgufModelFiles.open(Fixtures.model("qwen2-micro-F32.gguf"))) {
            assertEquals(1, model.shards().size());
            assertEquals(51, model.tensors().size());
            assertEquals("qwen2", model.architecture());
        }
    }

    @Test
    void aMissingShardIsNamed() throws IOException {
        try (GgufFile original = GgufFile.open(Fixtures.model("qwen3-micro-Q8_0.gguf"))) {
            split(original, dir, "m", 3, false);
        }
        Path second = dir.resolve("m-00002-of-00003.gguf");
        Files.delete(second);
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> GgufModelFiles.open(dir.resolve("m-00001-of-00003.gguf")));
        assertEquals(second + ": shard 2 of 3 is missing", e.getMessage());
    }

    @Test
    void shardsMustAgreeWithTheirNames() throws IOException {
        try (GgufFile original = GgufFile.open(Fixtures.model("qwen3-micro-Q8_0.gguf"))) {
            split(original, dir, "m", 2, false);
        }
        // Renamed as a 3-way split, shard 1 says split.count = 2.
        Files.move(dir.resolve("m-00001-of-00002.gguf"), dir.resolve("x-00001-of-00003.gguf"));
        Files.move(dir.resolve("m-00002-of-00002.gguf"), dir.resolve("x-00002-of-00003.gguf"));
        Files.copy(dir.resolve("x-00002-of-00003.gguf"), dir.resolve("x-00003-of-00003.gguf"));
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufModelFiles.open(dir.resolve("x-00001-of-00003.gguf")));
        assertTrue(e.getMessage().endsWith("x-00001-of-00003.gguf: split.count is 2 but 3 shards were found"), e.getMessage());
    }

    @Test
    void aShardFileOpenedUnderAnotherNameIsRejected() throws IOException {
        try (GgufFile original = GgufFile.open(Fixtures.model("qwen3-micro-Q8_0.gguf"))) {
            split(original, dir, "m", 2, false);
        }
        Path renamed = Files.move(dir.resolve("m-00001-of-00002.gguf"), dir.resolve("model.gguf"));
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufModelFiles.open(renamed));
        assertTrue(e.getMessage().contains("split.count is 2 but the file name is not that of a shard"), e.getMessage());
    }

    @Test
    void aTensorInTwoShardsIsRejected() throws IOException {
        for (int s = 0; s < 2; s++) {
            GgufWriter w = new GgufWriter().put("split.no", GgufValue.of(GgufValueType.UINT16, s))
                    .put("split.count", GgufValue.of(GgufValueType.UINT16, 2));
            w.addF32("same", new long[]{1}, new float[]{s});
            w.write(dir.resolve(String.format("d-%05d-of-00002.gguf", s + 1)));
        }
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufModelFiles.open(dir.resolve("d-00001-of-00002.gguf")));
        assertTrue(e.getMessage().matches(".*d-00002-of-00002.gguf: tensor 'same' is also in .*d-00001-of-00002.gguf"), e.getMessage());
    }

    @Test
    void theTensorTotalMustMatchSplitTensorsCount() throws IOException {
        try (GgufFile original = GgufFile.open(Fixtures.model("qwen3-micro-Q8_0.gguf"))) {
            split(original, dir, "m", 2, false);
        }
        Files.delete(dir.resolve("m-00002-of-00002.gguf"));
        GgufWriter w = new GgufWriter().put("split.no", GgufValue.of(GgufValueType.UINT16, 1))
                .put("split.count", GgufValue.of(GgufValueType.UINT16, 2));
        w.addF32("extra", new long[]{1}, new float[]{1});
        w.write(dir.resolve("m-00002-of-00002.gguf"));
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufModelFiles.open(dir.resolve("m-00001-of-00002.gguf")));
        assertTrue(e.getMessage().endsWith("split.tensors.count is 46 but the 2 shard(s) hold 24 tensors"), e.getMessage());
    }
}
