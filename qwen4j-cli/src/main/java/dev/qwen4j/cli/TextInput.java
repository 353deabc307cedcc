package dev.qwen4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The user's text from a file or stdin, as strict UTF-8: bad bytes are an error, never silently replaced. */
final class TextInput {
    private TextInput() {
    }

    static String read(InputStream in, String source) throws IOException {
        return decode(in.readAllBytes(), source);
    }

    static String read(Path file) throws IOException {
        if (Files.isDirectory(file)) throw new IllegalArgumentException(file + " is a directory, not a text file");
        return decode(Files.readAllBytes(file), file.toString());
    }

    static String decode(byte[] bytes, String source) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length); // UTF-8 never gives more chars than bytes
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) result = decoder.flush(out);
        if (result.isError()) {
            int at = in.position();
            throw new IllegalArgumentException(String.format("%s is not valid UTF-8 (byte 0x%02x at offset %d)", source, bytes[at] & 0xff, at));
        }
        return out.flip().toString();
    }
}
