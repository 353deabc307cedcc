package dev.qwen4j.convert;

import dev.qwen4j.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The safetensors reader: well-formed files, and a one-line error naming the file and tensor for every malformed one. */
class SafetensorsTest {
    @TempDir
    Path dir;

    @Test
    void readsTensorsMetadataAndBytes() throws IOException {
        Map<String, SafetensorsBytes.Tensor> t = new LinkedHashMap<>();
        t.put("w", new SafetensorsBytes.Tensor("F32", new long[] {2, 3}, SafetensorsBytes.f32(1, 2, 3, 4, 5, 6)));
        t.put("b", new SafetensorsBytes.Tensor("BF16", new long[] {2}, new byte[] {(byte) 0x80, 0x3F, 0x00, (byte) 0xC0}));
        Path file = write("ok.safetensors", SafetensorsBytes.encode(t));
        try (Safetensors s = Safetensors.open(file)) {
            assertEquals(2, s.tensors().size());
            assertEquals("pt", s.metadata().get("format"));
            Safetensors.Entry w = s.tensors().get("w");
            assertEquals(Safetensors.Dtype.F32, w.dtype());
            assertArrayEquals(new long[] {2, 3}, w.shape());
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, w.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN)));
            Safetensors.Entry b = s.tensors().get("b");
            assertEquals(Safetensors.Dtype.BF16, b.dtype());
            assertEquals(4, b.data().byteSize());
        }
    }

    @Test
    void zeroSizedTensorsAndScalarsAreFine() throws IOException {
        Map<String, SafetensorsBytes.Tensor> t = new LinkedHashMap<>();
        t.put("empty", new SafetensorsBytes.Tensor("F16", new long[] {0, 4}, new byte[0]));
        t.put("scalar", new SafetensorsBytes.Tensor("F32", new long[] {}, SafetensorsBytes.f32(7)));
        try (Safetensors s = Safetensors.parse(MemorySegment.ofArray(SafetensorsBytes.encode(t)), "mem")) {
            assertEquals(0, s.tensors().get("empty").elementCount());
            assertEquals(1, s.tensors().get("scalar").elementCount());
        }
    }

    @Test
    void fileShorterThanTheLengthField() {
        assertError(new byte[] {1, 2, 3}, "file too short");
    }

    @Test
    void headerLengthPastTheEndOfTheFile() {
        assertError(SafetensorsBytes.raw(5000, "{}", new byte[0]), "header length 5000 is past the end of the file");
    }

    @Test
    void headerLengthOverTheLimit() {
        assertError(SafetensorsBytes.raw(200_000_000L, "{}", new byte[0]), "exceeds the 100 MB limit");
        assertError(SafetensorsBytes.raw(-1, "{}", new byte[0]), "exceeds the 100 MB limit");
    }

    @Test
    void headerThatIsNotJson() {
        assertError(SafetensorsBytes.raw(5, "{\"a\":", new byte[0]), "header is not a JSON object");
        assertError(SafetensorsBytes.raw(2, "[]", new byte[0]), "header is not a JSON object");
    }

    @Test
    void offsetsPastTheEndOfTheData() {
        assertError(header("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8]),
                "tensor \"w\": data_offsets end 16 is past the end of the data (8 bytes)");
    }

    @Test
    void overlappingTensors() {
        assertError(header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]),
                "tensors \"a\" and \"b\" overlap");
    }

    @Test
    void byteCountThatDoesNotMatchTheShape() {
        assertError(header("{\"w\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,4]}}", new byte[4]),
                "tensor \"w\": BF16 [3] needs 6 bytes, data_offsets give 4");
    }

    @Test
    void badDtypeShapeAndOffsets() {
        assertError(header("{\"w\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]), "unknown dtype \"F128\"");
        assertError(header("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4]), "shape should hold non-negative integers");
        assertError(header("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", new byte[4]), "end before they begin");
        assertError(header("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4]), "data_offsets should be an array");
        assertError(header("{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,4]}}", new byte[4]), "too large");
        assertError(header("{\"w\":7}", new byte[0]), "entry should be an object");
    }

    @Test
    void errorNamesTheFile() throws IOException {
        Path file = write("bad.safetensors", SafetensorsBytes.raw(999, "{}", new byte[0]));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Safetensors.open(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void shardedCheckpointNeedsEveryIndexedShard() throws IOException {
        HfFixture.Checkpoint ckpt = HfFixture.write(dir.resolve("ckpt"), HfFixture.qwen3(), HfFixture.Dtype.BF16, 2, 3);
        try (HfCheckpoint c = HfCheckpoint.open(ckpt.dir())) {
            assertEquals(ckpt.values().size(), c.tensors().size());
        }
        Files.delete(ckpt.dir().resolve("model-00002-of-00002.safetensors"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> HfCheckpoint.open(ckpt.dir()));
        assertTrue(e.getMessage().contains("shard model-00002-of-00002.safetensors is missing"), e.getMessage());
    }

    @Test
    void indexThatPutsATensorInTheWrongShard() throws IOException {
        HfFixture.Checkpoint ckpt = HfFixture.write(dir.resolve("ckpt"), HfFixture.qwen3(), HfFixture.Dtype.BF16, 2, 3);
        Path index = ckpt.dir().resolve(HfCheckpoint.INDEX_FILE);
        Map<String, Object> json = Json.parseObject(Files.readString(index));
        @SuppressWarnings("unchecked") Map<String, Object> map = (Map<String, Object>) json.get("weight_map");
        map.put("model.embed_tokens.weight", "model-00002-of-00002.safetensors");
        Files.writeString(index, Json.write(json));
        CheckpointException e = assertThrows(CheckpointException.class, () -> HfCheckpoint.open(ckpt.dir()));
        assertTrue(e.getMessage().contains("\"model.embed_tokens.weight\" is listed in model-00002-of-00002.safetensors but stored in another shard"),
                e.getMessage());
    }

    @Test
    void folderWithoutWeightsIsNotACheckpoint() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{}");
        assertFalse(HfCheckpoint.isCheckpoint(dir));
        CheckpointException e = assertThrows(CheckpointException.class, () -> HfCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("no *.safetensors weights"), e.getMessage());
    }

    /** Seeded byte mutations of a valid file: each either parses (every view in bounds) or fails with a CheckpointException. */
    @Test
    void mutatedFilesFailCleanly() {
        Map<String, SafetensorsBytes.Tensor> t = new LinkedHashMap<>();
        t.put("a", new SafetensorsBytes.Tensor("F32", new long[] {2, 2}, SafetensorsBytes.f32(1, 2, 3, 4)));
        t.put("b", new SafetensorsBytes.Tensor("F16", new long[] {3}, new byte[6]));
        byte[] valid = SafetensorsBytes.encode(t);
        java.util.SplittableRandom r = new java.util.SplittableRandom(42);
        int parsed = 0;
        for (int i = 0; i < 3000; i++) {
            byte[] b = valid.clone();
            int edits = 1 + r.nextInt(3);
            for (int e = 0; e < edits; e++) b[r.nextInt(b.length)] = (byte) r.nextInt(256);
            if (r.nextInt(4) == 0) b = java.util.Arrays.copyOf(b, r.nextInt(b.length));
            try (Safetensors s = Safetensors.parse(MemorySegment.ofArray(b), "m")) {
                for (Safetensors.Entry e : s.tensors().values()) {
                    assertEquals(e.elementCount() * e.dtype().size, e.data().byteSize());
                }
                parsed++;
            } catch (CheckpointException expected) {
                assertTrue(expected.getMessage().startsWith("m: "), expected.getMessage());
            }
        }
        assertTrue(parsed > 0 && parsed < 3000, "some mutations parse, most do not: " + parsed);
    }

    private static byte[] header(String json, byte[] data) {
        return SafetensorsBytes.raw(json.getBytes(java.nio.charset.StandardCharsets.UTF_8).length, json, data);
    }

    private static void assertError(byte[] bytes, String expected) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> Safetensors.parse(MemorySegment.ofArray(bytes), "x.safetensors"));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().startsWith("x.safetensors: "), e.getMessage());
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }
}
