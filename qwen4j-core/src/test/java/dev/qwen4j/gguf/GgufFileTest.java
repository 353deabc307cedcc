package dev.qwen4j.gguf;

import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The spec's parser fixture (QWEN_SPEC.md §1.1.5), alignment rules and {@link GgufFile#open} on bad paths. */
class GgufFileTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    @Test
    void specFixtureHeaderAndMetadataParseAsStated() throws IOException {
        byte[] bytes = GgufSamples.specFixture();
        assertEquals(352, bytes.length);
        GgufFile f = GgufFile.parse(bytes);
        assertEquals(3, f.version());
        assertEquals(32, f.alignment());
        assertEquals(352, f.fileSize());
        assertEquals(List.of("general.architecture", "qwen3.block_count", "qwen3.rope.freq_base", "tokenizer.ggml.tokens"),
                List.copyOf(f.metadata().keySet()));
        assertEquals(List.of(GgufValueType.STRING, GgufValueType.UINT32, GgufValueType.FLOAT32, GgufValueType.ARRAY),
                f.metadata().values().stream().map(GgufValue::type).toList());
        assertEquals(GgufValueType.STRING, f.metadata().get("tokenizer.ggml.tokens").elementType());
        assertEquals("qwen3", f.architecture());
        assertEquals(1, f.getInt("qwen3.block_count"));
        assertEquals(1e6f, f.getFloat("qwen3.rope.freq_base"));
        assertArrayEquals(new String[]{"a", "b"}, f.getStringArray("tokenizer.ggml.tokens"));
    }

    @Test
    void specFixtureDataStartsAtTheAlignedEndOfTheTensorInfos() throws IOException {
        GgufFile f = GgufFile.parse(GgufSamples.specFixture());
        // The tensor-info section ends at 0x113; align_up(0x113, 32) = 0x120.
        assertEquals(288, f.dataStart());
    }

    @Test
    void specFixtureTensorsHoldTheStatedValues() throws IOException {
        GgufFile f = GgufFile.parse(GgufSamples.specFixture());
        assertEquals(2, f.tensors().size());

        Tensor w = f.tensor("w");
        assertEquals(GgmlType.F32, w.type());
        assertArrayEquals(new long[]{2, 3}, w.shape());
        assertEquals(0x120, f.fileOffset(w));
        assertEquals(24, w.data().byteSize());
        for (int i = 0; i < 6; i++) assertEquals(i + 1f, w.data().get(F32, 4L * i));

        Tensor b = f.tensor("b");
        assertEquals(GgmlType.F16, b.type());
        assertArrayEquals(new long[]{3}, b.shape());
        assertEquals(0x140, f.fileOffset(b));
        assertEquals(6, b.data().byteSize());
        float[] expected = {1.0f, -2.0f, 0.5f};
        for (int i = 0; i < 3; i++) assertEquals(expected[i], Float.float16ToFloat(b.data().get(F16, 2L * i)));
    }

    @Test
    void customAlignmentMovesDataStartAndTensorOffsets() throws IOException {
        GgufWriter w = new GgufWriter().putUInt32("general.alignment", 256).putString("general.architecture", "x");
        w.addF32("a", new long[]{3}, new float[]{1, 2, 3});
        w.addF32("b", new long[]{2}, new float[]{4, 5});
        GgufFile f = GgufFile.parse(GgufSamples.bytes(w));
        assertEquals(256, f.alignment());
        assertEquals(0, f.dataStart() % 256);
        assertEquals(f.dataStart(), f.fileOffset(f.tensor("a")));
        assertEquals(f.dataStart() + 256, f.fileOffset(f.tensor("b")));
        assertEquals(4f, f.tensor("b").data().get(F32, 0));
    }

    @Test
    void alignmentOfOneIsAccepted() throws IOException {
        GgufWriter w = new GgufWriter().putUInt32("general.alignment", 1);
        w.addF32("a", new long[]{1}, new float[]{7});
        w.addTensor("h", GgmlType.F16, new long[]{1}, new byte[]{0, 0x3c});
        w.addF32("b", new long[]{1}, new float[]{9});
        GgufFile f = GgufFile.parse(GgufSamples.bytes(w));
        assertEquals(1, f.alignment());
        assertEquals(f.fileOffset(f.tensor("a")) + 6, f.fileOffset(f.tensor("b")));
        assertEquals(9f, f.tensor("b").data().get(F32, 0));
    }

    @Test
    void alignmentThatIsNotAPowerOfTwoIsRejectedAtItsRecord() {
        for (long a : new long[]{0, 3, 48, 0xFFFF_FFFFL}) {
            RawGguf raw = RawGguf.header(0, 1).str("general.alignment").mark().u32(GgufValueType.UINT32.id()).u32(a);
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.parse(raw.bytes()), "alignment " + a);
            assertTrue(e.getMessage().contains("general.alignment must be a power of two, found " + a), e.getMessage());
            assertEquals(raw.marked(), e.offset());
        }
    }

    @Test
    void alignmentOfAnotherIntegerTypeIsRejected() {
        RawGguf raw = RawGguf.header(0, 1).str("general.alignment").mark().u32(GgufValueType.UINT64.id()).u64(32);
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.parse(raw.bytes()));
        assertTrue(e.getMessage().contains("general.alignment must be uint32, found UINT64"), e.getMessage());
        assertEquals(raw.marked(), e.offset());
    }

    @Test
    void writerRejectsInvalidAlignment() {
        GgufWriter w = new GgufWriter();
        assertThrows(IllegalArgumentException.class, () -> w.putUInt32("general.alignment", 48));
        assertThrows(IllegalArgumentException.class, () -> w.putUInt32("general.alignment", 0));
        assertThrows(IllegalArgumentException.class, () -> w.putInt32("general.alignment", 64));
    }

    @Test
    void openingAMissingFileNamesIt() {
        Path missing = dir.resolve("nope.gguf");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> GgufFile.open(missing));
        assertEquals(missing.toString(), e.getFile());
    }

    @Test
    void openingADirectoryIsAOneLineError() {
        IOException e = assertThrows(IOException.class, () -> GgufFile.open(dir));
        assertEquals(dir + ": is a directory, not a GGUF file", e.getMessage());
    }

    @Test
    void openingAnEmptyFileIsAOneLineError() throws IOException {
        Path empty = Files.createFile(dir.resolve("empty.gguf"));
        IOException e = assertThrows(IOException.class, () -> GgufFile.open(empty));
        assertEquals(empty + ": empty file (0 bytes), not a GGUF file", e.getMessage());
    }

    @Test
    void openingAMalformedFileNamesTheFileTheProblemAndTheOffset() throws IOException {
        Path bad = Files.write(dir.resolve("bad.gguf"), "GGUF\u0001\u0000\u0000\u0000".getBytes());
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(bad));
        assertEquals(bad + ": unsupported GGUF version 1 (qwen4j reads versions 2 and 3) (at byte 4)", e.getMessage());
        assertEquals(4, e.offset());
    }

    @Test
    void openingAnUnreadableFileIsAOneLineErrorOrSucceedsForRoot() throws IOException {
        Path locked = Files.write(dir.resolve("locked.gguf"), GgufSamples.specFixture());
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
        if (Files.isReadable(locked)) {
            // Running as root: permissions do not stop reading, and the file must then parse normally.
            try (GgufFile f = GgufFile.open(locked)) {
                assertEquals(2, f.tensors().size());
            }
        } else {
            IOException e = assertThrows(IOException.class, () -> GgufFile.open(locked));
            assertTrue(e.getMessage().contains(locked.toString()), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }

    @Test
    void openMapsTheFileAndCloseReleasesIt() throws IOException {
        Path p = Files.write(dir.resolve("fixture.gguf"), GgufSamples.specFixture());
        GgufFile f = GgufFile.open(p);
        assertEquals(p.toString(), f.source());
        assertEquals(3f, f.tensor("w").data().get(F32, 8));
        f.close();
        assertThrows(IllegalStateException.class, () -> f.tensor("w").data().get(F32, 8));
    }

    @Test
    void missingTensorAndMissingKeyAreClearErrors() throws IOException {
        GgufFile f = GgufFile.parse(GgufSamples.specFixture());
        assertTrue(f.findTensor("nope").isEmpty());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.tensor("nope"));
        assertEquals("<memory>: missing tensor 'nope'", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> f.getInt("qwen3.context_length"));
        assertEquals("<memory>: missing metadata key 'qwen3.context_length'", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> f.getInt("general.architecture"));
        assertTrue(e.getMessage().contains("should be an integer"), e.getMessage());
    }
}
