package dev.qwen4j.gguf;

import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed GGUF v2/v3 file (QWEN_SPEC.md §1.1). The file is memory-mapped; tensors are views into the mapping,
 * valid until {@link #close()}. Every structural problem is reported as a {@link GgufFormatException} naming
 * the problem and its byte offset — hostile files never cause a giant allocation or another exception type
 * (checked by GgufHostileInputTest and GgufFuzzTest). Heap use is bounded: metadata and tensor infos may take at
 * most {@value #MAX_HEADER_BYTES} bytes of the file, one string at most {@value #MAX_STRING_BYTES} bytes, one array
 * at most {@value #MAX_ARRAY_LENGTH} elements. Tensor data is never copied.
 */
public final class GgufFile implements AutoCloseable {
    public static final int MAGIC = 0x46554747; // "GGUF" little-endian
    public static final int DEFAULT_ALIGNMENT = 32;
    private static final int MAX_DIMS = 4;
    /** Smallest tensor-info record: empty name (8), n_dims (4), one dimension (8), type (4), offset (8). */
    private static final int MIN_TENSOR_INFO_BYTES = 32;
    /** Smallest key/value record: key length (8), a one-byte key, value type (4), a one-byte value. */
    private static final int MIN_KV_BYTES = 14;
    /*
     * Metadata is read onto the heap, so its size is capped well above anything real (a 248k-token vocabulary,
     * a 20 KB chat template) but far below what a corrupted length field could ask for on a multi-GB file.
     */
    static final long MAX_STRING_BYTES = 16L << 20;
    static final int MAX_ARRAY_LENGTH = 1 << 24;
    /** Everything before the tensor data (header, metadata, tensor infos) must fit in this many bytes. */
    static final long MAX_HEADER_BYTES = 128L << 20;

    private final String source;
    private final Arena arena;
    private final MemorySegment segment;
    private final int version;
    private final Map<String, GgufValue> metadata;
    private final List<Tensor> tensors;
    private final Map<String, Tensor> tensorsByName;
    private final int alignment;
    private final long dataStart;

    private GgufFile(String source, Arena arena, MemorySegment segment) throws GgufFormatException {
        this.source = source;
        this.arena = arena;
        this.segment = segment;
        Reader r = new Reader(segment);
        long magic = r.u32("magic");
        if ((int) magic != MAGIC) {
            throw new GgufFormatException("not a GGUF file: bad magic 0x" + Long.toHexString(magic) + " (expected \"GGUF\")", 0);
        }
        long v = r.u32("version");
        if (v != 2 && v != 3) {
            boolean bigEndian = Integer.reverseBytes((int) v) == 2 || Integer.reverseBytes((int) v) == 3;
            throw new GgufFormatException("unsupported GGUF version " + v + (bigEndian
                    ? " (a big-endian file; qwen4j reads little-endian versions 2 and 3)" : " (qwen4j reads versions 2 and 3)"), 4);
        }
        this.version = (int) v;
        long tensorCount = r.count("tensor count", MIN_TENSOR_INFO_BYTES);
        long kvCount = r.count("metadata count", MIN_KV_BYTES);

        Map<String, GgufValue> kv = new LinkedHashMap<>();
        long alignmentAt = -1;
        for (long i = 0; i < kvCount; i++) {
            long keyAt = r.pos;
            String key = r.string("metadata key");
            if (key.isEmpty()) throw new GgufFormatException("empty metadata key", keyAt);
            if (kv.containsKey(key)) throw new GgufFormatException("duplicate metadata key " + shown(key), keyAt);
            long typeAt = r.pos;
            long typeId = r.u32("value type");
            GgufValueType type = GgufValueType.fromId(typeId);
            if (type == null) throw new GgufFormatException("metadata " + shown(key) + ": unknown value type " + typeId, typeAt);
            if (key.equals("general.alignment")) alignmentAt = typeAt;
            kv.put(key, r.value(key, type));
        }
        this.metadata = Collections.unmodifiableMap(kv);

        int align = DEFAULT_ALIGNMENT;
        GgufValue alignValue = kv.get("general.alignment");
        if (alignValue != null) {
            if (alignValue.type() != GgufValueType.UINT32) {
                throw new GgufFormatException("general.alignment must be uint32, found " + alignValue.type(), alignmentAt);
            }
            long a = (Long) alignValue.value();
            if (a == 0 || Long.bitCount(a) != 1) {
                throw new GgufFormatException("general.alignment must be a power of two, found " + a, alignmentAt);
            }
            if (a > (1 << 30)) {
                throw new GgufFormatException("general.alignment " + a + " is larger than qwen4j supports (2^30)", alignmentAt);
            }
            align = (int) a;
        }
        this.alignment = align;

        record Info(String name, GgmlType type, long[] dims, long offset, long bytes, long at) {}
        List<Info> infos = new ArrayList<>();
        Map<String, Info> seen = new HashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            long at = r.pos;
            String name = r.string("tensor name");
            if (seen.containsKey(name)) throw new GgufFormatException("duplicate tensor name " + shown(name), at);
            long nDims = r.u32("tensor dimension count");
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw new GgufFormatException("tensor " + shown(name) + ": " + nDims + " dimensions (1 to 4 allowed)", r.pos - 4);
            }
            long[] dims = new long[(int) nDims];
            long dimsAt = r.pos;
            for (int d = 0; d < nDims; d++) {
                long dimAt = r.pos;
                dims[d] = r.i64("tensor dimension");
                if (dims[d] < 0) throw new GgufFormatException("tensor " + shown(name) + ": negative dimension " + dims[d], dimAt);
            }
            long typeAt = r.pos;
            long typeId = r.u32("tensor type");
            GgmlType type = GgmlType.fromId(typeId);
            if (type == null) throw new GgufFormatException("tensor " + shown(name) + ": unknown or unsupported tensor type " + typeId, typeAt);
            long bytes = byteSize(name, type, dims, dimsAt);
            long offsetAt = r.pos;
            long offset = r.i64("tensor offset");
            if (offset < 0 || offset % align != 0) {
                throw new GgufFormatException("tensor " + shown(name) + ": data offset " + Long.toUnsignedString(offset)
                        + " is not a multiple of the alignment " + align, offsetAt);
            }
            Info info = new Info(name, type, dims, offset, bytes, at);
            infos.add(info);
            seen.put(name, info);
        }
        long infoEnd = r.pos;
        this.dataStart = infos.isEmpty() ? infoEnd : alignUp(infoEnd, align);
        long fileSize = segment.byteSize();

        List<Info> byOffset = new ArrayList<>(infos);
        byOffset.sort(Comparator.comparingLong(Info::offset));
        long prevEnd = 0;
        String prevName = null;
        for (Info info : byOffset) {
            if (info.offset > fileSize - dataStart || info.bytes > fileSize - dataStart - info.offset) {
                throw new GgufFormatException("tensor " + shown(info.name) + ": its " + info.bytes + " bytes at data offset " + info.offset
                        + " (data section starts at byte " + dataStart + ") run past the end of the " + fileSize
                        + "-byte file (truncated?)", info.at);
            }
            if (info.offset < prevEnd && info.bytes > 0) {
                throw new GgufFormatException("tensor " + shown(info.name) + " overlaps tensor " + shown(prevName), info.at);
            }
            if (info.bytes > 0) {
                prevEnd = info.offset + info.bytes;
                prevName = info.name;
            }
        }

        List<Tensor> list = new ArrayList<>(infos.size());
        Map<String, Tensor> byName = new LinkedHashMap<>();
        for (Info info : infos) {
            Tensor t = new Tensor(info.name, info.type, info.dims, segment.asSlice(dataStart + info.offset, info.bytes));
            list.add(t);
            byName.put(info.name, t);
        }
        this.tensors = Collections.unmodifiableList(list);
        this.tensorsByName = Collections.unmodifiableMap(byName);
    }

    /**
     * Bytes of a tensor: {@code (ne0 / block) * typeSize * ne1 * ne2 * ne3}. Rows longer than an int and any product
     * that overflows a long are rejected, so {@link Tensor}'s own arithmetic on the shape cannot overflow.
     */
    private static long byteSize(String name, GgmlType type, long[] dims, long dimsAt) throws GgufFormatException {
        if (dims[0] > Integer.MAX_VALUE) {
            throw new GgufFormatException("tensor " + shown(name) + ": row length " + dims[0] + " exceeds " + Integer.MAX_VALUE, dimsAt);
        }
        if (dims[0] % type.blockSize != 0) {
            throw new GgufFormatException("tensor " + shown(name) + ": row length " + dims[0] + " is not a multiple of the "
                    + type + " block size " + type.blockSize, dimsAt);
        }
        try {
            long rows = 1;
            for (int d = 1; d < dims.length; d++) rows = Math.multiplyExact(rows, dims[d]);
            Math.multiplyExact(dims[0], rows); // the element count must fit too
            return Math.multiplyExact(dims[0] / type.blockSize * type.typeSize, rows);
        } catch (ArithmeticException e) {
            throw new GgufFormatException("tensor " + shown(name) + ": dimensions " + java.util.Arrays.toString(dims)
                    + " overflow a 64-bit size", dimsAt);
        }
    }

    /**
     * Memory-maps and parses a GGUF file. Every failure is an {@link IOException} whose one-line message names the
     * file: {@link NoSuchFileException}, {@link java.nio.file.AccessDeniedException}, or a
     * {@link GgufFormatException} for a directory, an empty file or a malformed one.
     */
    public static GgufFile open(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            throw new GgufFormatException(path + ": is a directory, not a GGUF file", -1);
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0) throw new GgufFormatException("empty file (0 bytes), not a GGUF file", -1);
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new GgufFile(path.toString(), arena, seg);
        } catch (GgufFormatException e) {
            arena.close();
            throw e.inFile(path.toString());
        } catch (NoSuchFileException e) {
            arena.close();
            throw new NoSuchFileException(path.toString(), null, "no such file");
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** Parses GGUF bytes already in memory (tests, in-memory conversions). The segment must outlive this object. */
    public static GgufFile parse(MemorySegment bytes, String source) throws GgufFormatException {
        return new GgufFile(source, null, bytes);
    }

    public static GgufFile parse(byte[] bytes) throws GgufFormatException {
        return parse(MemorySegment.ofArray(bytes), "<memory>");
    }

    /**
     * A key or tensor name as it appears in a message: quoted, control characters escaped and cut to 80 characters,
     * because in a corrupted file it may be any bytes.
     */
    static String shown(String s) {
        StringBuilder sb = new StringBuilder("'");
        for (int i = 0; i < s.length() && sb.length() <= 80; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7F) sb.append(String.format("\\x%02x", (int) c));
            else sb.append(c);
        }
        return sb.length() > 80 ? sb.substring(0, 80) + "...' (" + s.length() + " chars)" : sb.append('\'').toString();
    }

    static long alignUp(long p, long a) {
        return p + (a - p % a) % a;
    }

    public String source() {
        return source;
    }

    public int version() {
        return version;
    }

    public int alignment() {
        return alignment;
    }

    /** File offset where the tensor data section starts. */
    public long dataStart() {
        return dataStart;
    }

    public long fileSize() {
        return segment.byteSize();
    }

    /** The whole mapped file. */
    public MemorySegment segment() {
        return segment;
    }

    /** All metadata in file order. */
    public Map<String, GgufValue> metadata() {
        return metadata;
    }

    public List<Tensor> tensors() {
        return tensors;
    }

    public Optional<Tensor> findTensor(String name) {
        return Optional.ofNullable(tensorsByName.get(name));
    }

    /** The tensor with this name; a clear exception if the file has none. */
    public Tensor tensor(String name) {
        Tensor t = tensorsByName.get(name);
        if (t == null) throw new IllegalArgumentException(source + ": missing tensor " + shown(name));
        return t;
    }

    /** File offset of a tensor's first byte. */
    public long fileOffset(Tensor t) {
        return t.data().address() - segment.address();
    }

    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    public Optional<GgufValue> value(String key) {
        return Optional.ofNullable(metadata.get(key));
    }

    public String architecture() {
        return getString("general.architecture", null);
    }

    public String getString(String key, String fallback) {
        GgufValue v = metadata.get(key);
        if (v == null) return fallback;
        if (v.value() instanceof String s) return s;
        throw wrongType(key, v, "a string");
    }

    public String getString(String key) {
        return require(key, getString(key, null));
    }

    /** Any integer-typed value (spec: writers differ in the integer width they use). */
    public long getLong(String key, long fallback) {
        GgufValue v = metadata.get(key);
        if (v == null) return fallback;
        return switch (v.value()) {
            case Byte b -> b;
            case Short s -> s;
            case Integer i -> i;
            case Long l -> l;
            default -> throw wrongType(key, v, "an integer");
        };
    }

    public long getLong(String key) {
        if (!has(key)) throw missing(key);
        return getLong(key, 0);
    }

    public int getInt(String key, int fallback) {
        long v = getLong(key, fallback);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) throw new IllegalArgumentException(source + ": " + shown(key) + " = " + v + " is out of range");
        return (int) v;
    }

    public int getInt(String key) {
        if (!has(key)) throw missing(key);
        return getInt(key, 0);
    }

    /** Any float- or integer-typed value. */
    public double getDouble(String key, double fallback) {
        GgufValue v = metadata.get(key);
        if (v == null) return fallback;
        return switch (v.value()) {
            case Float f -> f;
            case Double d -> d;
            case Number n -> n.doubleValue();
            default -> throw wrongType(key, v, "a number");
        };
    }

    public float getFloat(String key, float fallback) {
        return (float) getDouble(key, fallback);
    }

    public float getFloat(String key) {
        if (!has(key)) throw missing(key);
        return getFloat(key, 0);
    }

    public boolean getBoolean(String key, boolean fallback) {
        GgufValue v = metadata.get(key);
        if (v == null) return fallback;
        if (v.value() instanceof Boolean b) return b;
        throw wrongType(key, v, "a boolean");
    }

    public String[] getStringArray(String key) {
        GgufValue v = metadata.get(key);
        if (v == null) return null;
        if (v.value() instanceof String[] a) return a.clone();
        throw wrongType(key, v, "an array of strings");
    }

    /** An integer array of any element width, widened to int (values out of int range are an error). */
    public int[] getIntArray(String key) {
        GgufValue v = metadata.get(key);
        if (v == null) return null;
        Object a = v.value();
        if (a instanceof int[] ints) return ints.clone();
        long[] longs = switch (a) {
            case byte[] b -> { long[] r = new long[b.length]; for (int i = 0; i < b.length; i++) r[i] = v.elementType() == GgufValueType.UINT8 ? b[i] & 0xFF : b[i]; yield r; }
            case short[] s -> { long[] r = new long[s.length]; for (int i = 0; i < s.length; i++) r[i] = v.elementType() == GgufValueType.UINT16 ? s[i] & 0xFFFF : s[i]; yield r; }
            case long[] l -> l;
            default -> throw wrongType(key, v, "an array of integers");
        };
        int[] out = new int[longs.length];
        for (int i = 0; i < longs.length; i++) {
            if (longs[i] < Integer.MIN_VALUE || longs[i] > Integer.MAX_VALUE) throw new IllegalArgumentException(source + ": " + shown(key) + " holds out-of-range value " + longs[i]);
            out[i] = (int) longs[i];
        }
        return out;
    }

    public float[] getFloatArray(String key) {
        GgufValue v = metadata.get(key);
        if (v == null) return null;
        if (v.value() instanceof float[] f) return f.clone();
        if (v.value() instanceof double[] d) {
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
            return f;
        }
        throw wrongType(key, v, "an array of floats");
    }

    private <T> T require(String key, T value) {
        if (value == null) throw missing(key);
        return value;
    }

    private IllegalArgumentException missing(String key) {
        return new IllegalArgumentException(source + ": missing metadata key " + shown(key));
    }

    private IllegalArgumentException wrongType(String key, GgufValue v, String expected) {
        return new IllegalArgumentException(source + ": metadata " + shown(key) + " should be " + expected + ", file has " + v.summary());
    }

    @Override
    public void close() {
        if (arena != null) arena.close();
    }

    /** Bounds-checked little-endian cursor over the file. */
    private static final class Reader {
        private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

        final MemorySegment seg;
        final long size;
        /** Header reads stop here: the file size, or {@link #MAX_HEADER_BYTES} for a bigger file. */
        final long limit;
        final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        long pos;

        Reader(MemorySegment seg) {
            this.seg = seg;
            this.size = seg.byteSize();
            this.limit = Math.min(size, MAX_HEADER_BYTES);
        }

        void need(long n, String what) throws GgufFormatException {
            if (n < 0 || n > size - pos) {
                throw new GgufFormatException("file ends inside " + what + " (needs " + n + " bytes, " + (size - pos) + " left; truncated?)", pos);
            }
            if (n > limit - pos) throw beyondHeaderLimit(what, pos);
        }

        static GgufFormatException beyondHeaderLimit(String what, long at) {
            return new GgufFormatException(what + " would extend the metadata and tensor infos past the "
                    + (MAX_HEADER_BYTES >> 20) + " MiB qwen4j accepts", at);
        }

        long u32(String what) throws GgufFormatException {
            need(4, what);
            long v = Integer.toUnsignedLong(seg.get(I32, pos));
            pos += 4;
            return v;
        }

        long i64(String what) throws GgufFormatException {
            need(8, what);
            long v = seg.get(I64, pos);
            pos += 8;
            return v;
        }

        /** A u64 count that must be non-negative and fit in the rest of the file at {@code minBytesEach} per item. */
        long count(String what, long minBytesEach) throws GgufFormatException {
            long at = pos;
            long n = i64(what);
            if (n < 0 || (minBytesEach > 0 && n > (size - pos) / minBytesEach)) {
                throw new GgufFormatException(what + " " + Long.toUnsignedString(n) + " is impossible for a file of " + size + " bytes", at);
            }
            if (minBytesEach > 0 && n > (limit - pos) / minBytesEach) throw beyondHeaderLimit(what + " " + n, at);
            return n;
        }

        String string(String what) throws GgufFormatException {
            long at = pos;
            long len = i64(what + " length");
            if (len < 0 || len > size - pos) {
                throw new GgufFormatException(what + ": string length " + Long.toUnsignedString(len) + " runs past the end of the file (truncated?)", at);
            }
            if (len > MAX_STRING_BYTES) {
                throw new GgufFormatException(what + ": string length " + len + " exceeds the " + MAX_STRING_BYTES + "-byte limit", at);
            }
            if (len > limit - pos) throw beyondHeaderLimit(what, at);
            byte[] bytes = seg.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
            pos += len;
            try {
                return utf8.reset().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                // Real vocabularies hold byte-level pieces that are valid UTF-8; anything else is kept, not fatal.
                return new String(bytes, StandardCharsets.UTF_8);
            }
        }

        GgufValue value(String key, GgufValueType type) throws GgufFormatException {
            if (type == GgufValueType.ARRAY) {
                long typeAt = pos;
                long typeId = u32("array element type");
                GgufValueType et = GgufValueType.fromId(typeId);
                if (et == null) throw new GgufFormatException("metadata " + shown(key) + ": unknown array element type " + typeId, typeAt);
                if (et == GgufValueType.ARRAY) throw new GgufFormatException("metadata " + shown(key) + ": nested arrays are not supported", typeAt);
                long n = count("metadata " + shown(key) + " array length", et.minSize());
                if (n > MAX_ARRAY_LENGTH) {
                    throw new GgufFormatException("metadata " + shown(key) + ": array length " + n + " exceeds the limit of " + MAX_ARRAY_LENGTH, typeAt + 4);
                }
                return GgufValue.array(et, array(key, et, (int) n));
            }
            return GgufValue.of(type, scalar(key, type));
        }

        Object scalar(String key, GgufValueType type) throws GgufFormatException {
            String what = "metadata " + shown(key);
            if (type == GgufValueType.STRING) return string(what);
            need(type.size, what);
            long at = pos;
            Object v = switch (type) {
                case UINT8 -> (short) (seg.get(ValueLayout.JAVA_BYTE, pos) & 0xFF);
                case INT8 -> seg.get(ValueLayout.JAVA_BYTE, pos);
                case UINT16 -> seg.get(I16, pos) & 0xFFFF;
                case INT16 -> seg.get(I16, pos);
                case UINT32 -> Integer.toUnsignedLong(seg.get(I32, pos));
                case INT32 -> seg.get(I32, pos);
                case FLOAT32 -> seg.get(F32, pos);
                case BOOL -> {
                    byte b = seg.get(ValueLayout.JAVA_BYTE, pos);
                    if (b != 0 && b != 1) throw new GgufFormatException(what + ": invalid bool byte " + b, at);
                    yield b == 1;
                }
                case UINT64, INT64 -> seg.get(I64, pos);
                case FLOAT64 -> seg.get(F64, pos);
                default -> throw new IllegalStateException();
            };
            pos += type.size;
            return v;
        }

        Object array(String key, GgufValueType et, int n) throws GgufFormatException {
            String what = "metadata " + shown(key) + " array";
            if (et == GgufValueType.STRING) {
                // Grown as read: the count was only checked against the bytes left, at 8 per string.
                List<String> a = new ArrayList<>(Math.min(n, 1 << 16));
                for (int i = 0; i < n; i++) a.add(string(what));
                return a.toArray(new String[0]);
            }
            need((long) n * et.size, what);
            MemorySegment s = seg.asSlice(pos, (long) n * et.size);
            Object out = switch (et) {
                case UINT8, INT8 -> s.toArray(ValueLayout.JAVA_BYTE);
                case UINT16, INT16 -> s.toArray(I16);
                case UINT32, INT32 -> s.toArray(I32);
                case UINT64, INT64 -> s.toArray(I64);
                case FLOAT32 -> s.toArray(F32);
                case FLOAT64 -> s.toArray(F64);
                case BOOL -> {
                    boolean[] b = new boolean[n];
                    for (int i = 0; i < n; i++) {
                        byte x = s.get(ValueLayout.JAVA_BYTE, i);
                        if (x != 0 && x != 1) throw new GgufFormatException(what + ": invalid bool byte " + x, pos + i);
                        b[i] = x == 1;
                    }
                    yield b;
                }
                default -> throw new IllegalStateException();
            };
            if (et == GgufValueType.UINT32) {
                // Keep unsigned 32-bit values non-negative: widen to long.
                int[] ints = (int[]) out;
                long[] longs = new long[n];
                for (int i = 0; i < n; i++) longs[i] = Integer.toUnsignedLong(ints[i]);
                out = longs;
            }
            pos += (long) n * et.size;
            return out;
        }
    }
}
