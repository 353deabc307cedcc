package dev.qwen4j.convert;

import dev.qwen4j.json.Json;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds safetensors bytes for tests: well-formed files from tensors, or any header over any data. */
final class SafetensorsBytes {
    record Tensor(String dtype, long[] shape, byte[] data) {
    }

    private SafetensorsBytes() {
    }

    /** Tensors in order, back to back; the header padded with spaces to a multiple of 8 (as the reference writer does). */
    static byte[] encode(Map<String, Tensor> tensors) {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("__metadata__", Map.of("format", "pt"));
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            List<Object> shape = new ArrayList<>();
            for (long d : t.shape()) shape.add(d);
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", t.dtype());
            info.put("shape", shape);
            info.put("data_offsets", List.of(offset, offset + t.data().length));
            header.put(e.getKey(), info);
            offset += t.data().length;
        }
        byte[] data = new byte[(int) offset];
        int pos = 0;
        for (Tensor t : tensors.values()) {
            System.arraycopy(t.data(), 0, data, pos, t.data().length);
            pos += t.data().length;
        }
        StringBuilder json = new StringBuilder(Json.write(header));
        while ((json.length() + 8) % 8 != 0) json.append(' ');
        return raw(json.toString().getBytes(StandardCharsets.UTF_8).length, json.toString(), data);
    }

    /** An 8-byte header length (which may lie), the header text, then the data. */
    static byte[] raw(long declaredHeaderLength, String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer bb = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(declaredHeaderLength).put(h).put(data);
        return bb.array();
    }

    static byte[] f32(float... v) {
        ByteBuffer bb = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) bb.putFloat(f);
        return bb.array();
    }
}
