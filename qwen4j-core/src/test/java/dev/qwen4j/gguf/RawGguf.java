package dev.qwen4j.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Builds GGUF bytes field by field, including invalid ones, for hostile-input tests. {@link #mark()} records the
 * current byte offset so a test can check that an error names exactly the offending field.
 */
final class RawGguf {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private long mark = -1;

    /** Magic, version 3 and the two counts. */
    static RawGguf header(long tensorCount, long kvCount) {
        return new RawGguf().u32(GgufFile.MAGIC).u32(3).u64(tensorCount).u64(kvCount);
    }

    RawGguf u8(int v) {
        out.write(v);
        return this;
    }

    RawGguf u32(long v) {
        for (int i = 0; i < 4; i++) out.write((int) (v >>> (8 * i)));
        return this;
    }

    RawGguf u64(long v) {
        for (int i = 0; i < 8; i++) out.write((int) (v >>> (8 * i)));
        return this;
    }

    RawGguf f32(float v) {
        return u32(Float.floatToRawIntBits(v));
    }

    RawGguf str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        u64(b.length);
        out.writeBytes(b);
        return this;
    }

    /** Key and value type of a key/value record; the value follows. */
    RawGguf kv(String key, GgufValueType type) {
        return str(key).u32(type.id());
    }

    RawGguf kvString(String key, String value) {
        return kv(key, GgufValueType.STRING).str(value);
    }

    RawGguf kvU32(String key, long value) {
        return kv(key, GgufValueType.UINT32).u32(value);
    }

    RawGguf tensorInfo(String name, long[] dims, int type, long offset) {
        str(name).u32(dims.length);
        for (long d : dims) u64(d);
        return u32(type).u64(offset);
    }

    RawGguf pad(int alignment) {
        while (out.size() % alignment != 0) out.write(0);
        return this;
    }

    RawGguf zeros(int n) {
        out.writeBytes(new byte[n]);
        return this;
    }

    /** Remembers the offset of the next field. */
    RawGguf mark() {
        mark = out.size();
        return this;
    }

    long marked() {
        return mark;
    }

    int size() {
        return out.size();
    }

    byte[] bytes() {
        return out.toByteArray();
    }
}
