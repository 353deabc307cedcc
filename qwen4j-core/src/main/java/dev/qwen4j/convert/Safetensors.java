package dev.qwen4j.convert;

import dev.qwen4j.json.Json;
import dev.qwen4j.json.JsonException;
import dev.qwen4j.tensor.GgmlType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One memory-mapped {@code .safetensors} file (QWEN_SPEC.md §1.6): an 8-byte little-endian header length, a JSON
 * header naming each tensor's dtype, shape and byte range, then the data. The header is checked completely on open
 * (size limit, dtypes, shapes, ranges inside the file, no overlap), so every tensor view handed out is in bounds.
 */
public final class Safetensors implements AutoCloseable {
    /** The reference implementation's header limit. */
    public static final long MAX_HEADER_BYTES = 100_000_000;

    /** Safetensors element types with their byte sizes. */
    public enum Dtype {
        BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1), I16(2), U16(2), F16(2), BF16(2), I32(4), U32(4), F32(4),
        F64(8), I64(8), U64(8);

        public final int size;

        Dtype(int size) {
            this.size = size;
        }

        /** The GGUF type holding the same bits, for the float types a model can use; {@code null} otherwise. */
        public GgmlType floatType() {
            return switch (this) {
                case F32 -> GgmlType.F32;
                case F16 -> GgmlType.F16;
                case BF16 -> GgmlType.BF16;
                default -> null;
            };
        }
    }

    /** A tensor: PyTorch shape (slowest dimension first), row-major little-endian bytes. */
    public record Entry(String name, Dtype dtype, long[] shape, MemorySegment data) {
        public Entry {
            shape = shape.clone();
        }

        public long elementCount() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }

        public String shapeString() {
            return Arrays.toString(shape);
        }
    }

    private final String source;
    private final Arena arena;
    private final Map<String, Entry> tensors;
    private final Map<String, String> metadata;

    private Safetensors(String source, Arena arena, Map<String, Entry> tensors, Map<String, String> metadata) {
        this.source = source;
        this.arena = arena;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /** Maps and validates a file; every problem is a {@link CheckpointException} naming the file (and the tensor). */
    public static Safetensors open(Path file) throws IOException {
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString());
        if (Files.isDirectory(file)) throw new CheckpointException(file + ": is a directory, not a safetensors file");
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment seg = ch.size() == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return parse(seg, ch.size(), file.toString(), arena);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** Parses safetensors bytes already in memory (tests). The segment must outlive this object. */
    public static Safetensors parse(MemorySegment bytes, String source) throws CheckpointException {
        return parse(bytes, bytes.byteSize(), source, null);
    }

    private static Safetensors parse(MemorySegment seg, long size, String source, Arena arena) throws CheckpointException {
        if (size < 8) throw new CheckpointException(source + ": file too short for a safetensors header (" + size + " bytes)");
        long n = seg.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw new CheckpointException(source + ": header length " + Long.toUnsignedString(n) + " exceeds the 100 MB limit; not a safetensors file?");
        }
        if (n > size - 8) {
            throw new CheckpointException(source + ": header length " + n + " is past the end of the file (" + size + " bytes)");
        }
        String text;
        try {
            ByteBuffer header = seg.asSlice(8, n).asByteBuffer();
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(header).toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointException(source + ": header is not valid UTF-8");
        }
        Map<String, Object> json;
        try {
            json = Json.parseObject(text);
        } catch (JsonException e) {
            throw new CheckpointException(source + ": header is not a JSON object: " + e.getMessage());
        }
        long dataStart = 8 + n;
        long dataLength = size - dataStart;
        Map<String, Entry> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        List<long[]> ranges = new ArrayList<>();
        List<String> rangeNames = new ArrayList<>();
        for (Map.Entry<String, Object> e : json.entrySet()) {
            String name = e.getKey();
            if (name.equals("__metadata__")) {
                if (!(e.getValue() instanceof Map<?, ?> m)) throw new CheckpointException(source + ": __metadata__ should be an object");
                for (Map.Entry<?, ?> kv : m.entrySet()) metadata.put(String.valueOf(kv.getKey()), String.valueOf(kv.getValue()));
                continue;
            }
            String where = source + ": tensor " + Json.quote(name);
            if (!(e.getValue() instanceof Map<?, ?> info)) throw new CheckpointException(where + ": entry should be an object");
            Dtype dtype = dtype(info.get("dtype"), where);
            long[] shape = longs(info.get("shape"), where, "shape");
            long[] offsets = longs(info.get("data_offsets"), where, "data_offsets");
            if (offsets.length != 2) throw new CheckpointException(where + ": data_offsets should be [begin, end]");
            long begin = offsets[0], end = offsets[1];
            if (begin > end) throw new CheckpointException(where + ": data_offsets [" + begin + ", " + end + "] end before they begin");
            if (end > dataLength) {
                throw new CheckpointException(where + ": data_offsets end " + end + " is past the end of the data (" + dataLength + " bytes)");
            }
            long bytes;
            try {
                long count = 1;
                for (long d : shape) count = Math.multiplyExact(count, d);
                bytes = Math.multiplyExact(count, dtype.size);
            } catch (ArithmeticException ex) {
                throw new CheckpointException(where + ": shape " + Arrays.toString(shape) + " is too large");
            }
            if (end - begin != bytes) {
                throw new CheckpointException(where + ": " + dtype + " " + Arrays.toString(shape) + " needs " + bytes
                        + " bytes, data_offsets give " + (end - begin));
            }
            ranges.add(offsets);
            rangeNames.add(name);
            tensors.put(name, new Entry(name, dtype, shape, seg.asSlice(dataStart + begin, bytes)));
        }
        Integer[] order = new Integer[ranges.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingLong((Integer i) -> ranges.get(i)[0]).thenComparingLong(i -> ranges.get(i)[1]));
        for (int i = 1; i < order.length; i++) {
            long[] prev = ranges.get(order[i - 1]), cur = ranges.get(order[i]);
            if (cur[0] < prev[1] && cur[0] != cur[1] && prev[0] != prev[1]) {
                throw new CheckpointException(source + ": tensors " + Json.quote(rangeNames.get(order[i - 1])) + " and "
                        + Json.quote(rangeNames.get(order[i])) + " overlap (bytes " + cur[0] + ".." + prev[1] + ")");
            }
        }
        return new Safetensors(source, arena, tensors, metadata);
    }

    private static Dtype dtype(Object o, String where) throws CheckpointException {
        if (!(o instanceof String s)) throw new CheckpointException(where + ": dtype missing");
        try {
            return Dtype.valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(where + ": unknown dtype " + Json.quote(s));
        }
    }

    private static long[] longs(Object o, String where, String field) throws CheckpointException {
        if (!(o instanceof List<?> list)) throw new CheckpointException(where + ": " + field + " should be an array of integers");
        long[] r = new long[list.size()];
        for (int i = 0; i < r.length; i++) {
            if (!(list.get(i) instanceof Long v) || v < 0) {
                throw new CheckpointException(where + ": " + field + " should hold non-negative integers, found " + list.get(i));
            }
            r[i] = v;
        }
        return r;
    }

    public String source() {
        return source;
    }

    /** Tensors in header order. */
    public Map<String, Entry> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public void close() {
        if (arena != null) arena.close();
    }
}
