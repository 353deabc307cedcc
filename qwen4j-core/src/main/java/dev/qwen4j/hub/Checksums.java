package dev.qwen4j.hub;

import java.io.IOException;
import java.io.InputStream;
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
}
