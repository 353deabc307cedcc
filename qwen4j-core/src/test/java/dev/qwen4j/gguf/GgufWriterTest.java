package dev.qwen4j.gguf;

import dev.qwen4j.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The writer refuses what the reader would refuse, before writing a byte. */
class GgufWriterTest {

    @Test
    void writingIntoAMissingFolderNamesTheFileAskedFor(@TempDir Path dir) {
        Path out = dir.resolve("no-such-folder").resolve("model.gguf");
        IOException e = assertThrows(IOException.class, () -> new GgufWriter().putString("general.architecture", "qwen3").write(out));
        assertEquals("cannot write " + out + ": cannot create a file in " + out.getParent(), e.getMessage());
    }

    @Test
    void valuesMustFitTheirType() {
        assertThrows(IllegalArgumentException.class, () -> GgufValue.of(GgufValueType.UINT8, 256));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.of(GgufValueType.INT8, -129));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.of(GgufValueType.UINT16, -1));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.of(GgufValueType.UINT32, 1L << 32));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.of(GgufValueType.INT32, 1L << 31));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.of(GgufValueType.STRING, 5));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.of(GgufValueType.BOOL, 1));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.of(GgufValueType.FLOAT32, "1.0"));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.of(GgufValueType.ARRAY, new int[1]));
        assertEquals(255L, ((Number) GgufValue.of(GgufValueType.UINT8, 255).value()).longValue());
    }

    @Test
    void arraysMustMatchTheirElementType() {
        assertThrows(IllegalArgumentException.class, () -> GgufValue.array(GgufValueType.ARRAY, new int[0]));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.array(GgufValueType.INT32, new long[1]));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.array(GgufValueType.UINT32, new long[]{-1}));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.array(GgufValueType.STRING, new String[]{"a", null}));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.array(GgufValueType.FLOAT32, new double[1]));
        assertEquals(2, GgufValue.array(GgufValueType.UINT32, new int[]{1, 2}).arrayLength());
    }

    @Test
    void tensorShapesAndSizesAreChecked() {
        GgufWriter w = new GgufWriter();
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("neg", GgmlType.F32, new long[]{-1}, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("five", GgmlType.F32, new long[]{1, 1, 1, 1, 1}, new byte[4]));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("block", GgmlType.Q8_0, new long[]{33}, new byte[34]));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("size", GgmlType.F32, new long[]{2}, new byte[4]));
        assertThrows(ArithmeticException.class, () -> w.addTensor("huge", GgmlType.F32, new long[]{1 << 30, 1L << 40, 1L << 40}, o -> { }));
        w.addTensor("ok", GgmlType.F32, new long[]{1}, new byte[4]);
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("ok", GgmlType.F32, new long[]{1}, new byte[4]));
        assertThrows(IllegalArgumentException.class, () -> w.putString("", "empty key"));
    }

    @Test
    void aTensorCallbackThatWritesTheWrongSizeLeavesNoFile(@TempDir Path dir) throws IOException {
        GgufWriter w = new GgufWriter();
        w.addTensor("short", GgmlType.F32, new long[]{4}, out -> out.write(new byte[12]));
        Path target = dir.resolve("m.gguf");
        IOException e = assertThrows(IOException.class, () -> w.write(target));
        assertEquals("tensor short: wrote 12 bytes, expected 16", e.getMessage());
        assertFalse(Files.exists(target));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(0, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void writtenFileIsAlignedAndEndsPadded(@TempDir Path dir) throws IOException {
        GgufWriter w = new GgufWriter().putString("general.architecture", "x");
        w.addTensor("h", GgmlType.F16, new long[]{3}, new byte[6]);
        Path p = dir.resolve("x.gguf");
        w.write(p);
        assertEquals(0, Files.size(p) % 32);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(Files.size(p), f.dataStart() + 32);
            assertTrue(f.tensor("h").data().byteSize() == 6);
        }
    }

    @Test
    void writtenFileIsReadableByOthersLikeAnyDataFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("m.gguf");
        new GgufWriter().putString("general.architecture", "qwen3").write(file);
        java.util.Set<java.nio.file.attribute.PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        org.junit.jupiter.api.Assertions.assertTrue(perms.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ), perms.toString());
    }
}
