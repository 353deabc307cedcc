package dev.qwen4j.generate;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/** A 62-token vocabulary with Qwen's chat-structure tokens; ids 62 and 63 are unused padding rows. */
final class FakeVocabulary implements Vocabulary {
    static final int IM_START = 0, IM_END = 1, END_OF_TEXT = 2, THINK = 3, END_THINK = 4, TOOL_CALL = 5, END_TOOL_CALL = 6;
    static final int NEWLINE = 7, TWO_NEWLINES = 8, USER = 9, ASSISTANT = 10, SPACE = 11, LETTER_A = 12, DIGIT_0 = 38;
    static final int E_ACUTE_FIRST_BYTE = 48, E_ACUTE_SECOND_BYTE = 49;
    static final int SIZE = 62, MODEL_ROWS = 64;

    private static final String[] SPECIALS = {"<|im_start|>", "<|im_end|>", "<|endoftext|>", "<think>", "</think>", "<tool_call>", "</tool_call>"};
    private final byte[][] bytes = new byte[SIZE][];

    FakeVocabulary() {
        for (int i = 0; i < SPECIALS.length; i++) bytes[i] = SPECIALS[i].getBytes(StandardCharsets.UTF_8);
        bytes[NEWLINE] = "\n".getBytes(StandardCharsets.UTF_8);
        bytes[TWO_NEWLINES] = "\n\n".getBytes(StandardCharsets.UTF_8);
        bytes[USER] = "user".getBytes(StandardCharsets.UTF_8);
        bytes[ASSISTANT] = "assistant".getBytes(StandardCharsets.UTF_8);
        bytes[SPACE] = " ".getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 26; i++) bytes[LETTER_A + i] = new byte[]{(byte) ('a' + i)};
        for (int i = 0; i < 10; i++) bytes[DIGIT_0 + i] = new byte[]{(byte) ('0' + i)};
        bytes[E_ACUTE_FIRST_BYTE] = new byte[]{(byte) 0xC3};
        bytes[E_ACUTE_SECOND_BYTE] = new byte[]{(byte) 0xA9};
        String[] words = {"hello", " world", "ok", "yes", "no", ".", ",", "!", "?", "the", " is", "-"};
        for (int i = 0; i < words.length; i++) bytes[50 + i] = words[i].getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public int size() {
        return SIZE;
    }

    @Override
    public byte[] bytes(int token) {
        return bytes[token].clone();
    }

    /** Greedy longest match over the token strings. */
    @Override
    public int[] encode(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        List<Integer> ids = new ArrayList<>();
        int i = 0;
        while (i < b.length) {
            int best = -1, bestLen = 0;
            for (int t = 0; t < SIZE; t++) {
                byte[] tb = bytes[t];
                if (tb.length > bestLen && i + tb.length <= b.length && java.util.Arrays.equals(b, i, i + tb.length, tb, 0, tb.length)) {
                    best = t;
                    bestLen = tb.length;
                }
            }
            if (best < 0) throw new IllegalArgumentException("fake vocabulary cannot encode byte " + b[i]);
            ids.add(best);
            i += bestLen;
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public boolean isEndOfGeneration(int token) {
        return token == IM_END || token == END_OF_TEXT;
    }

    @Override
    public int specialToken(String text) {
        for (int i = 0; i < SPECIALS.length; i++) if (SPECIALS[i].equals(text)) return i;
        return -1;
    }

    @Override
    public BitSet unusedTokens() {
        BitSet b = new BitSet();
        b.set(SIZE, MODEL_ROWS);
        return b;
    }

    /** A chat prompt: {@code <|im_start|>user\n{text}<|im_end|>\n<|im_start|>assistant\n} + suffix. */
    int[] chatPrompt(String history, String user, String suffix) {
        return encode(history + "<|im_start|>user\n" + user + "<|im_end|>\n<|im_start|>assistant\n" + suffix);
    }
}
