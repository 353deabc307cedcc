package dev.qwen4j.tokenizer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns a stream of token ids into text without ever emitting half a UTF-8 character: bytes of an incomplete
 * sequence are held back until the next token completes them (CJK and emoji are often split across tokens).
 * Invalid sequences become U+FFFD; nothing here throws on model output. Not thread-safe; one per stream.
 */
public final class StreamingDecoder {
    private final Tokenizer tokenizer;
    private final boolean renderControl;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private ByteBuffer pending = ByteBuffer.allocate(64);

    StreamingDecoder(Tokenizer tokenizer, boolean renderControl) {
        this.tokenizer = tokenizer;
        this.renderControl = renderControl;
    }

    /** Adds one token and returns the text that is now complete (possibly empty). */
    public String accept(int id) {
        return acceptBytes(tokenizer.tokenBytes(id, renderControl));
    }

    /** Adds raw bytes and returns the text that is now complete (possibly empty). */
    public String acceptBytes(byte[] bytes) {
        if (pending.remaining() < bytes.length) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(pending.capacity() * 2, pending.position() + bytes.length));
            pending.flip();
            bigger.put(pending);
            pending = bigger;
        }
        pending.put(bytes);
        return drain(false);
    }

    /** Ends the stream: returns whatever is held back, with an incomplete trailing sequence as U+FFFD. */
    public String finish() {
        String s = drain(true);
        utf8.reset();
        return s;
    }

    /** True if bytes of an incomplete character are held back. */
    public boolean hasPendingBytes() {
        return pending.position() > 0;
    }

    private String drain(boolean endOfInput) {
        pending.flip();
        CharBuffer out = CharBuffer.allocate(pending.remaining() + 2);
        utf8.decode(pending, out, endOfInput);
        if (endOfInput) utf8.flush(out);
        pending.compact(); // keeps the undecoded tail (an incomplete sequence) for the next call
        out.flip();
        return out.toString();
    }
}
