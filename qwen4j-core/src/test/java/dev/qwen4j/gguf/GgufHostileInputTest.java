package dev.qwen4j.gguf;

import dev.qwen4j.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.ByteOrder;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Malformed files: each is rejected with a {@link GgufFormatException} that names the problem and the byte offset of
 * the offending field. Most cases patch one field of the spec's 352-byte fixture (QWEN_SPEC.md §1.1.5).
 */
class GgufHostileInputTest {
    // Field offsets in the spec fixture (checked by fixtureFieldOffsetsAreWhereTheseTestsExpectThem).
    private static final int TENSOR_COUNT = 8, KV_COUNT = 16, FIRST_KEY_LENGTH = 24, FIRST_VALUE_TYPE = 52,
            ARCH_STRING_LENGTH = 56, TOKENS_ELEMENT_TYPE = 171, TOKENS_COUNT = 175,
            W_INFO = 201, W_N_DIMS = 210, W_NE0 = 214, W_NE1 = 222, W_TYPE = 230, W_OFFSET = 234,
            B_INFO = 242, B_NAME = 250, B_OFFSET = 267, LAST_TENSOR_BYTE = 0x145;

    private static byte[] fixture() {
        return GgufSamples.specFixture();
    }

    private static byte[] patchU32(byte[] b, int at, long v) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(at, (int) v);
        return b;
    }

    private static byte[] patchU64(byte[] b, int at, long v) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(at, v);
        return b;
    }

    private static GgufFormatException assertRejected(byte[] bytes, String fragment, long offset) {
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.parse(bytes));
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' should contain '" + fragment + "'");
        assertEquals(offset, e.offset(), e.getMessage());
        assertTrue(e.getMessage().endsWith("(at byte " + offset + ")"), e.getMessage());
        return e;
    }

    @Test
    void fixtureFieldOffsetsAreWhereTheseTestsExpectThem() {
        ByteBuffer b = ByteBuffer.wrap(fixture()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(2, b.getLong(TENSOR_COUNT));
        assertEquals(4, b.getLong(KV_COUNT));
        assertEquals("general.architecture".length(), b.getLong(FIRST_KEY_LENGTH));
        assertEquals(GgufValueType.STRING.id(), b.getInt(FIRST_VALUE_TYPE));
        assertEquals(5, b.getLong(ARCH_STRING_LENGTH));
        assertEquals(GgufValueType.STRING.id(), b.getInt(TOKENS_ELEMENT_TYPE));
        assertEquals(2, b.getLong(TOKENS_COUNT));
        assertEquals(1, b.getLong(W_INFO));
        assertEquals(2, b.getInt(W_N_DIMS));
        assertEquals(2, b.getLong(W_NE0));
        assertEquals(3, b.getLong(W_NE1));
        assertEquals(GgmlType.F32.id, b.getInt(W_TYPE));
        assertEquals(0, b.getLong(W_OFFSET));
        assertEquals(1, b.getLong(B_INFO));
        assertEquals('b', b.get(B_NAME));
        assertEquals(32, b.getLong(B_OFFSET));
    }

    @Test
    void badMagic() {
        byte[] b = fixture();
        b[3] = 'G';
        assertRejected(b, "not a GGUF file: bad magic 0x47554747", 0);
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 4, 0x0300_0000L, 0xFFFF_FFFFL}) // 0x03000000: a big-endian version 3
    void unknownVersion(long version) {
        assertRejected(patchU32(fixture(), 4, version), "unsupported GGUF version " + version, 4);
    }

    @Test
    void bigEndianFileIsNamedAsSuch() {
        assertRejected(patchU32(fixture(), 4, 0x0300_0000L), "(a big-endian file; qwen4j reads little-endian versions 2 and 3)", 4);
    }

    @Test
    void versionTwoHasTheSameLayout() throws GgufFormatException {
        assertEquals(2, GgufFile.parse(patchU32(fixture(), 4, 2)).version());
    }

    @Test
    void everyPrefixShorterThanTheTensorDataIsRejectedWithAnOffsetInsideIt() {
        byte[] full = fixture();
        for (int n = 0; n <= LAST_TENSOR_BYTE; n++) {
            byte[] prefix = Arrays.copyOf(full, n);
            int len = n;
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.parse(prefix), "prefix " + n);
            assertTrue(e.offset() >= 0 && e.offset() <= len, "prefix " + n + ": " + e.getMessage());
            assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("impossible for a file of " + n),
                    "prefix " + n + ": " + e.getMessage());
        }
    }

    @Test
    void prefixesMissingOnlyTheFinalPaddingStillParse() throws GgufFormatException {
        // The last tensor ends at 0x146; the 26 zero bytes after it are padding that holds no data.
        for (int n = LAST_TENSOR_BYTE + 1; n <= 352; n++) {
            GgufFile f = GgufFile.parse(Arrays.copyOf(fixture(), n));
            assertEquals(6, f.tensor("b").byteSize(), "prefix " + n);
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1000, 1L << 40, Long.MAX_VALUE, -1})
    void keyLengthPastTheEnd(long length) {
        assertRejected(patchU64(fixture(), FIRST_KEY_LENGTH, length),
                "metadata key: string length " + Long.toUnsignedString(length) + " runs past the end of the file", FIRST_KEY_LENGTH);
    }

    @Test
    void stringValueLengthPastTheEnd() {
        assertRejected(patchU64(fixture(), ARCH_STRING_LENGTH, 1L << 62),
                "metadata 'general.architecture': string length 4611686018427387904 runs past the end", ARCH_STRING_LENGTH);
    }

    @ParameterizedTest
    @ValueSource(longs = {1L << 40, Long.MAX_VALUE, -1, 22})
    void arrayCountPastTheEnd(long count) {
        // 22 strings of at least 8 bytes each need more than the 169 bytes left.
        assertRejected(patchU64(fixture(), TOKENS_COUNT, count),
                "metadata 'tokenizer.ggml.tokens' array length " + Long.toUnsignedString(count) + " is impossible for a file of 352 bytes",
                TOKENS_COUNT);
    }

    @Test
    void plausibleArrayCountWhoseStringsRunPastTheEndIsRejected() {
        // 20 × 8 bytes fit in what is left, but the "strings" after "a" and "b" are tensor infos and then padding.
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.parse(patchU64(fixture(), TOKENS_COUNT, 20)));
        assertTrue(e.offset() > TOKENS_COUNT && e.offset() <= 352, e.getMessage());
    }

    @Test
    void arrayLongerThanTheMetadataLimitIsRejectedBeforeAllocating() {
        int n = GgufFile.MAX_ARRAY_LENGTH + 1;
        RawGguf raw = RawGguf.header(0, 1).kv("big", GgufValueType.ARRAY).u32(GgufValueType.UINT8.id()).mark().u64(n).zeros(n);
        assertRejected(raw.bytes(), "metadata 'big': array length " + n + " exceeds the limit of " + GgufFile.MAX_ARRAY_LENGTH, raw.marked());
    }

    @Test
    void stringLongerThanTheMetadataLimitIsRejected() {
        int n = (int) GgufFile.MAX_STRING_BYTES + 1;
        RawGguf raw = RawGguf.header(0, 1).kv("big", GgufValueType.STRING).mark().u64(n).zeros(n);
        assertRejected(raw.bytes(), "string length " + n + " exceeds the " + GgufFile.MAX_STRING_BYTES + "-byte limit", raw.marked());
    }

    @Test
    void metadataLargerThanTheHeaderLimitIsRejected(@TempDir Path dir) throws IOException {
        // Nine 15 MiB byte arrays: each is under the array limit, together they pass the 128 MiB header limit.
        int arrays = 9, n = 15 << 20;
        Path file = dir.resolve("huge-metadata.gguf");
        long ninthCountAt = -1;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(RawGguf.header(0, arrays).bytes()));
            for (int i = 0; i < arrays; i++) {
                RawGguf kv = new RawGguf().kv("k" + i, GgufValueType.ARRAY).u32(GgufValueType.UINT8.id()).mark().u64(n);
                ninthCountAt = ch.position() + kv.marked();
                ch.write(ByteBuffer.wrap(kv.bytes()));
                ch.position(ch.position() + n); // sparse zeros
            }
            ch.write(ByteBuffer.wrap(new byte[1]), ch.position() - 1);
        }
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(file));
        assertTrue(e.getMessage().contains("metadata 'k8' array length " + n + " would extend the metadata and tensor infos past the 128 MiB"),
                e.getMessage());
        assertEquals(ninthCountAt, e.offset());
    }

    @ParameterizedTest
    @ValueSource(longs = {-1, 1L << 40, 12})
    void tensorCountImpossibleForTheFileSize(long count) {
        assertRejected(patchU64(fixture(), TENSOR_COUNT, count), "tensor count " + Long.toUnsignedString(count) + " is impossible", TENSOR_COUNT);
    }

    @ParameterizedTest
    @ValueSource(longs = {-1, 1L << 40, 30})
    void metadataCountImpossibleForTheFileSize(long count) {
        assertRejected(patchU64(fixture(), KV_COUNT, count), "metadata count " + Long.toUnsignedString(count) + " is impossible", KV_COUNT);
    }

    @Test
    void tensorDataOutsideTheFile() {
        assertRejected(patchU64(fixture(), B_OFFSET, 64),
                "tensor 'b': its 6 bytes at data offset 64 (data section starts at byte 288) run past the end of the 352-byte file", B_INFO);
    }

    @Test
    void tensorOffsetFarOutsideTheFileDoesNotOverflow() {
        assertRejected(patchU64(fixture(), B_OFFSET, Long.MAX_VALUE - 31), "tensor 'b': its 6 bytes at data offset", B_INFO);
    }

    @Test
    void negativeTensorOffset() {
        assertRejected(patchU64(fixture(), B_OFFSET, -32), "tensor 'b': data offset 18446744073709551584 is not a multiple", B_OFFSET);
    }

    @Test
    void overlappingTensors() {
        assertRejected(patchU64(fixture(), B_OFFSET, 0), "tensor 'b' overlaps tensor 'w'", B_INFO);
    }

    @Test
    void misalignedTensorOffset() {
        assertRejected(patchU64(fixture(), B_OFFSET, 33), "tensor 'b': data offset 33 is not a multiple of the alignment 32", B_OFFSET);
    }

    @Test
    void dimensionsWhoseProductOverflows() {
        assertRejected(patchU64(fixture(), W_NE1, 1L << 62), "tensor 'w': dimensions [2, 4611686018427387904] overflow a 64-bit size", W_NE0);
        RawGguf four = RawGguf.header(1, 0).str("t").u32(4).mark().u64(32).u64(1L << 21).u64(1L << 21).u64(1L << 21)
                .u32(GgmlType.Q8_0.id).u64(0).pad(32);
        assertRejected(four.bytes(), "tensor 't': dimensions [32, 2097152, 2097152, 2097152] overflow a 64-bit size", four.marked());
    }

    @Test
    void rowLengthBeyondAnInt() {
        assertRejected(patchU64(fixture(), W_NE0, 1L << 31), "tensor 'w': row length 2147483648 exceeds 2147483647", W_NE0);
    }

    @Test
    void negativeDimension() {
        assertRejected(patchU64(fixture(), W_NE1, -1), "tensor 'w': negative dimension -1", W_NE1);
        assertRejected(patchU64(fixture(), W_NE0, Long.MIN_VALUE), "tensor 'w': negative dimension", W_NE0);
    }

    @ParameterizedTest
    @ValueSource(longs = {4, 5, 31, 32, 33, 36, 37, 38, 64, 0xFFFF_FFFFL})
    void unknownOrRetiredTensorType(long type) {
        assertRejected(patchU32(fixture(), W_TYPE, type), "tensor 'w': unknown or unsupported tensor type " + type, W_TYPE);
    }

    @Test
    void rowLengthNotAMultipleOfTheBlockSize() {
        RawGguf raw = RawGguf.header(1, 0).str("q").u32(2).mark().u64(33).u64(1).u32(GgmlType.Q8_0.id).u64(0).pad(32).zeros(68);
        assertRejected(raw.bytes(), "tensor 'q': row length 33 is not a multiple of the Q8_0 block size 32", raw.marked());
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 5, 0xFFFF_FFFFL})
    void dimensionCountOutsideOneToFour(long nDims) {
        assertRejected(patchU32(fixture(), W_N_DIMS, nDims), "tensor 'w': " + nDims + " dimensions (1 to 4 allowed)", W_N_DIMS);
    }

    @Test
    void duplicateTensorName() {
        byte[] b = fixture();
        b[B_NAME] = 'w';
        assertRejected(b, "duplicate tensor name 'w'", B_INFO);
    }

    @Test
    void duplicateMetadataKey() {
        RawGguf raw = RawGguf.header(0, 2).kvU32("a.b", 1).mark().kvU32("a.b", 2);
        assertRejected(raw.bytes(), "duplicate metadata key 'a.b'", raw.marked());
    }

    @Test
    void emptyMetadataKey() {
        RawGguf raw = RawGguf.header(0, 2).kvU32("a.b", 1).mark().kvU32("", 2);
        assertRejected(raw.bytes(), "empty metadata key", raw.marked());
    }

    @Test
    void unknownValueType() {
        assertRejected(patchU32(fixture(), FIRST_VALUE_TYPE, 13), "metadata 'general.architecture': unknown value type 13", FIRST_VALUE_TYPE);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 0xFF, 0x80})
    void invalidBool(int value) {
        RawGguf raw = RawGguf.header(0, 1).kv("flag", GgufValueType.BOOL).mark().u8(value);
        assertRejected(raw.bytes(), "metadata 'flag': invalid bool byte " + (byte) value, raw.marked());
        RawGguf array = RawGguf.header(0, 1).kv("flags", GgufValueType.ARRAY).u32(GgufValueType.BOOL.id()).u64(3).u8(1).u8(0).mark().u8(value);
        assertRejected(array.bytes(), "metadata 'flags' array: invalid bool byte " + (byte) value, array.marked());
    }

    @Test
    void nestedArray() {
        assertRejected(patchU32(fixture(), TOKENS_ELEMENT_TYPE, GgufValueType.ARRAY.id()),
                "metadata 'tokenizer.ggml.tokens': nested arrays are not supported", TOKENS_ELEMENT_TYPE);
    }

    @Test
    void unknownArrayElementType() {
        assertRejected(patchU32(fixture(), TOKENS_ELEMENT_TYPE, 77), "metadata 'tokenizer.ggml.tokens': unknown array element type 77", TOKENS_ELEMENT_TYPE);
    }

    @Test
    void invalidUtf8InAStringIsKeptNotFatal() {
        byte[] b = fixture();
        b[64] = (byte) 0xC3; // "qwen3" → an unfinished two-byte sequence followed by "wen3"
        GgufFile f = assertDoesNotThrow(() -> GgufFile.parse(b));
        assertEquals("\uFFFDwen3", f.architecture());
    }
}
