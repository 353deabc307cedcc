package dev.qwen4j.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Minimal reader for the 2-D little-endian float32 .npy files of the llama.cpp references. */
record Npy(int rows, int cols, float[] data) {
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\((\\d+),\\s*(\\d+)\\)");

    static Npy read(Path path) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        if (b.get() != (byte) 0x93 || b.get() != 'N') throw new IOException(path + ": not a .npy file");
        b.position(6);
        int major = b.get();
        b.get();
        int headerLen = major == 1 ? Short.toUnsignedInt(b.getShort()) : b.getInt();
        byte[] header = new byte[headerLen];
        b.get(header);
        String h = new String(header, StandardCharsets.ISO_8859_1);
        if (!h.contains("'<f4'") || h.contains("'fortran_order': True")) throw new IOException(path + ": expected C-order <f4, got " + h);
        Matcher m = SHAPE.matcher(h);
        if (!m.find()) throw new IOException(path + ": expected a 2-D shape in " + h);
        int rows = Integer.parseInt(m.group(1));
        int cols = Integer.parseInt(m.group(2));
        float[] data = new float[rows * cols];
        b.asFloatBuffer().get(data);
        return new Npy(rows, cols, data);
    }

    float[] row(int r) {
        float[] out = new float[cols];
        System.arraycopy(data, r * cols, out, 0, cols);
        return out;
    }
}
