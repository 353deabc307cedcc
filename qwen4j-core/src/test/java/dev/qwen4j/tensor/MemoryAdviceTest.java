package dev.qwen4j.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Releasing pages never loses data: mapped files read back the same, other memory is left alone. */
class MemoryAdviceTest {

    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 31 + (i >>> 9));
        return b;
    }

    @Test
    void mappedFileReadsTheSameAfterRelease(@TempDir Path dir) throws Exception {
        byte[] bytes = pattern(1 << 20);
        Path file = dir.resolve("weights.bin");
        Files.write(file, bytes);
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, bytes.length, arena);
            assertArrayEquals(bytes, seg.toArray(ValueLayout.JAVA_BYTE));
            boolean linux = System.getProperty("os.name").toLowerCase().contains("linux");
            // An unaligned slice: only the whole 64 KiB pages inside it are released.
            assertEquals(linux, MemoryAdvice.release(seg.asSlice(100, bytes.length - 200)));
            assertArrayEquals(bytes, seg.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void memoryThatIsNotAFileIsLeftAlone() {
        byte[] bytes = pattern(1 << 20);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment native_ = arena.allocate(bytes.length, 1 << 16);
            native_.copyFrom(MemorySegment.ofArray(bytes));
            assertFalse(MemoryAdvice.release(native_));
            assertArrayEquals(bytes, native_.toArray(ValueLayout.JAVA_BYTE));
        }
        assertFalse(MemoryAdvice.release(MemorySegment.ofArray(bytes)));
    }

    @Test
    void hugePageMemoryIsZeroedWritableAndOfTheSizeAsked() {
        long size = (3L << 20) + 12345;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment seg = MemoryAdvice.allocateHuge(size, arena);
            assertEquals(size, seg.byteSize());
            for (long i = 0; i < size; i += 4093) assertEquals(0, seg.get(ValueLayout.JAVA_BYTE, i));
            seg.set(ValueLayout.JAVA_BYTE, size - 1, (byte) 7);
            seg.fill((byte) 3);
            assertEquals(3, seg.get(ValueLayout.JAVA_BYTE, size - 1));
        }
    }
}
