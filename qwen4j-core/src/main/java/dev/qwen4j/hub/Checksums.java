package dev.qwen4j.hub;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Checks a downloaded file against the hub's ETag. For an LFS file (every GGUF) the ETag is the SHA-256 of the
 * content; for a small file kept in git it is the git blob id, SHA-1 over {@code "blob <size>\0"} + content.
 */
final class Checksums {
    private Checksums() {
    }

    /** True when {@code etag} is a hash we can check (64 or 40 hex digits). */
    static boolean verifiable(String etag) {
        return etag.matches("[0-9a-f]{64}|[0-9a-f]{40}");
    }

    /** The hash of {@code file} in the form {@code etag} uses. */
    static String hashLike(String etag, Path file) throws IOException {
        try {
            MessageDigest md;
            if (etag.length() == 64) {
                md = MessageDigest.getInstance("SHA-256");
            } else {
                md = MessageDigest.getInstance("SHA-1");
                md.update(("blob " + Files.size(file) + "\0").getBytes(StandardCharsets.US_ASCII));
            }
            byte[] buf = new byte[1 << 20];
            try (InputStream in = Files.newInputStream(file)) {
                int n;
                while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * SHA-256 of a file that grows by appends, fed with the bytes as they are written so that a finished download
     * needs no second pass over several gigabytes. {@link #catchUp} reads from disk whatever the digest has not
     * seen (a partial file left by an earlier run) and starts over if the file got shorter (a restart).
     */
    static final class Running {
        private final MessageDigest md;
        private long count;

        Running() {
            try {
                md = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        void update(byte[] b, int off, int len) {
            md.update(b, off, len);
            count += len;
        }

        /** Makes the digest cover exactly the first {@code length} bytes of {@code file}. */
        void catchUp(Path file, long length) throws IOException {
            if (count > length) {
                md.reset();
                count = 0;
            }
            if (count == length) return;
            try (FileChannel ch = FileChannel.open(file)) {
                ByteBuffer buf = ByteBuffer.allocate(1 << 20);
                ch.position(count);
                while (count < length) {
                    buf.clear();
                    buf.limit((int) Math.min(buf.capacity(), length - count));
                    int n = ch.read(buf);
                    if (n < 0) throw new IOException(file + " is shorter than " + length + " bytes");
                    update(buf.array(), 0, n);
                }
            }
        }

        long count() {
            return count;
        }

        /** The hex digest; the object must not be used afterwards. */
        String finish() {
            return HexFormat.of().formatHex(md.digest());
        }
    }
}
