package dev.qwen4j.gguf;

import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.tensor.Tensor;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes GGUF v3 files: metadata in insertion order, then tensor infos, then tensor data, each tensor padded to
 * the alignment (the layout ggml's own writer produces). Tensor bytes are streamed from a {@link TensorData}
 * callback, so multi-gigabyte synthetic models never sit on the heap.
 */
public final class GgufWriter {

    /** Produces exactly a tensor's bytes, in order. */
    @FunctionalInterface
    public interface TensorData {
        void writeTo(OutputStream out) throws IOException;
    }

    private record PendingTensor(String name, GgmlType type, long[] dims, long bytes, TensorData data) {}

    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<PendingTensor> tensors = new ArrayList<>();
    private final Map<String, PendingTensor> tensorNames = new LinkedHashMap<>();
    private int alignment = GgufFile.DEFAULT_ALIGNMENT;

    /**
     * A writer holding a parsed file's metadata (in file order, including {@code general.alignment}) and its tensors
     * as views of the file's bytes, so {@code copyOf(f).write(p)} re-creates {@code f}. The file must stay open
     * until the copy is written.
     */
    public static GgufWriter copyOf(GgufFile file) {
        GgufWriter w = copyOfMetadata(file);
        for (Tensor t : file.tensors()) w.addTensor(t.name(), t.type(), t.shape(), t.data());
        return w;
    }

    /** A writer holding a parsed file's metadata (in file order) and no tensors. */
    public static GgufWriter copyOfMetadata(GgufFile file) {
        GgufWriter w = new GgufWriter();
        file.metadata().forEach(w::put);
        return w;
    }

    public GgufWriter put(String key, GgufValue value) {
        if (key.isEmpty()) throw new IllegalArgumentException("metadata keys must not be empty");
        if (key.equals("general.alignment")) {
            long a = value.value() instanceof Number n ? n.longValue() : 0;
            if (value.type() != GgufValueType.UINT32 || Long.bitCount(a) != 1 || a > 1 << 30) {
                throw new IllegalArgumentException("general.alignment must be a uint32 power of two up to 2^30, got " + value.summary());
            }
            alignment = (int) a;
        }
        metadata.put(key, value);
        return this;
    }

    public GgufWriter putString(String key, String value) {
        return put(key, GgufValue.string(value));
    }

    public GgufWriter putUInt32(String key, long value) {
        return put(key, GgufValue.uint32(value));
    }

    public GgufWriter putInt32(String key, int value) {
        return put(key, GgufValue.int32(value));
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, GgufValue.float32(value));
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, GgufValue.bool(value));
    }

    public GgufWriter putStrings(String key, String... values) {
        return put(key, GgufValue.strings(values));
    }

    public GgufWriter putInt32s(String key, int... values) {
        return put(key, GgufValue.int32s(values));
    }

    public GgufWriter putFloat32s(String key, float... values) {
        return put(key, GgufValue.float32s(values));
    }

    public Map<String, GgufValue> metadata() {
        return metadata;
    }

    /** Adds a tensor whose bytes come from a callback; {@code dims} in ggml order (row length first). */
    public GgufWriter addTensor(String name, GgmlType type, long[] dims, TensorData data) {
        if (tensorNames.containsKey(name)) throw new IllegalArgumentException("duplicate tensor name " + name);
        long bytes = byteSize(name, type, dims);
        PendingTensor t = new PendingTensor(name, type, dims.clone(), bytes, data);
        tensors.add(t);
        tensorNames.put(name, t);
        return this;
    }

    /** The bytes a tensor of this type and shape occupies; rejects shapes {@link GgufFile} would reject. */
    private static long byteSize(String name, GgmlType type, long[] dims) {
        if (dims.length < 1 || dims.length > 4) throw new IllegalArgumentException(name + ": 1 to 4 dimensions");
        for (long d : dims) if (d < 0) throw new IllegalArgumentException(name + ": negative dimension in " + java.util.Arrays.toString(dims));
        if (dims[0] > Integer.MAX_VALUE) throw new IllegalArgumentException(name + ": row length " + dims[0] + " exceeds " + Integer.MAX_VALUE);
        long rows = 1;
        for (int i = 1; i < dims.length; i++) rows = Math.multiplyExact(rows, dims[i]);
        Math.multiplyExact(dims[0], rows);
        return Math.multiplyExact(type.rowBytes(dims[0]), rows);
    }

    private static void checkSize(String name, GgmlType type, long[] dims, long given) {
        long expected = byteSize(name, type, dims);
        if (expected != given) throw new IllegalArgumentException(name + ": " + given + " bytes given, " + expected + " expected");
    }

    /** Adds a tensor from raw bytes (already in the type's layout). */
    public GgufWriter addTensor(String name, GgmlType type, long[] dims, byte[] raw) {
        checkSize(name, type, dims, raw.length);
        return addTensor(name, type, dims, out -> out.write(raw));
    }

    /** Adds a tensor from a memory segment (e.g. a view of another GGUF file). */
    public GgufWriter addTensor(String name, GgmlType type, long[] dims, MemorySegment raw) {
        checkSize(name, type, dims, raw.byteSize());
        return addTensor(name, type, dims, out -> {
            byte[] buf = new byte[1 << 20];
            long n = raw.byteSize();
            for (long off = 0; off < n; off += buf.length) {
                int len = (int) Math.min(buf.length, n - off);
                MemorySegment.copy(raw, ValueLayout.JAVA_BYTE, off, buf, 0, len);
                out.write(buf, 0, len);
            }
        });
    }

    /** Adds an F32 tensor. */
    public GgufWriter addF32(String name, long[] dims, float[] values) {
        ByteBuffer bb = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(values);
        return addTensor(name, GgmlType.F32, dims, bb.array());
    }

    /** Writes the file atomically (a temporary file moved into place), so a failed write never leaves a half file. */
    public void write(Path path) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        Path tmp;
        try {
            tmp = Files.createTempFile(dir, path.getFileName().toString(), ".part");
        } catch (IOException e) { // the message would name the temporary file, which the user never asked for
            throw new IOException("cannot write " + path + ": cannot create a file in " + dir, e);
        }
        // Ctrl-C or a kill ends the JVM without running the finally below; the hook then removes the partial file.
        Thread cleanup = new Thread(() -> deleteQuietly(tmp), "qwen4j-gguf-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                writeTo(out);
            }
            // createTempFile makes the file owner-only (0600); a model file is ordinary data, readable by all.
            if (tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            }
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // nothing more to do while the JVM exits
        }
    }

    public byte[] toBytes() throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        writeTo(out);
        return out.toByteArray();
    }

    public void writeTo(OutputStream raw) throws IOException {
        CountingOut out = new CountingOut(raw);
        out.u32(GgufFile.MAGIC);
        out.u32(3);
        out.u64(tensors.size());
        out.u64(metadata.size());
        for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
            out.string(e.getKey());
            GgufValue v = e.getValue();
            out.u32(v.type().id());
            if (v.isArray()) {
                out.u32(v.elementType().id());
                int n = v.arrayLength();
                out.u64(n);
                for (int i = 0; i < n; i++) out.scalar(v.elementType(), java.lang.reflect.Array.get(v.value(), i));
            } else {
                out.scalar(v.type(), v.value());
            }
        }
        long offset = 0;
        for (PendingTensor t : tensors) {
            out.string(t.name);
            out.u32(t.dims.length);
            for (long d : t.dims) out.u64(d);
            out.u32(t.type.id);
            out.u64(offset);
            offset = GgufFile.alignUp(offset + t.bytes, alignment);
        }
        if (!tensors.isEmpty()) out.pad(alignment);
        for (PendingTensor t : tensors) {
            long before = out.count;
            t.data.writeTo(out);
            if (out.count - before != t.bytes) {
                throw new IOException("tensor " + t.name + ": wrote " + (out.count - before) + " bytes, expected " + t.bytes);
            }
            out.pad(alignment);
        }
        out.flush();
    }

    private static final class CountingOut extends OutputStream {
        private final OutputStream out;
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        long count;

        CountingOut(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        void u32(long v) throws IOException {
            scratch.clear();
            scratch.putInt((int) v);
            write(scratch.array(), 0, 4);
        }

        void u64(long v) throws IOException {
            scratch.clear();
            scratch.putLong(v);
            write(scratch.array(), 0, 8);
        }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            write(b, 0, b.length);
        }

        void pad(int alignment) throws IOException {
            while (count % alignment != 0) write(0);
        }

        void scalar(GgufValueType type, Object v) throws IOException {
            switch (type) {
                case UINT8, INT8 -> write(((Number) v).intValue());
                case UINT16, INT16 -> {
                    int x = ((Number) v).intValue();
                    write(x & 0xFF);
                    write((x >>> 8) & 0xFF);
                }
                case UINT32, INT32 -> u32(((Number) v).longValue());
                case UINT64, INT64 -> u64(((Number) v).longValue());
                case FLOAT32 -> u32(Float.floatToRawIntBits(((Number) v).floatValue()));
                case FLOAT64 -> u64(Double.doubleToRawLongBits(((Number) v).doubleValue()));
                case BOOL -> write((Boolean) v ? 1 : 0);
                case STRING -> string((String) v);
                case ARRAY -> throw new IOException("nested arrays are not supported");
            }
        }
    }
}
