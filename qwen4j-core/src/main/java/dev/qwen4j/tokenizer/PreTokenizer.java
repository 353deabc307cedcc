package dev.qwen4j.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * The Qwen pre-tokenizer regexes of QWEN_SPEC.md §5.3, as a hand-written scanner (faster than
 * {@link java.util.regex.Pattern} and free of its case-folding and {@code \s} subtleties). The alternatives, tried in
 * order at each position, are:
 * <pre>
 * qwen2:  (?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}
 *         | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * qwen35: the same, but letter runs are [\p{L}\p{M}]+ and the "other" run also excludes \p{M}
 * </pre>
 * {@code \p{L}/\p{N}/\p{M}} are Unicode general categories (of the running JDK's Unicode version) and {@code \s} is the
 * Unicode White_Space property, as in llama.cpp (Python's {@code \s} would also match U+001C..U+001F).
 */
public enum PreTokenizer {
    /** Qwen2, Qwen2.5, Qwen3 (GGUF {@code tokenizer.ggml.pre = "qwen2"}). */
    QWEN2,
    /** Qwen3.5: combining marks stay inside letter runs (GGUF {@code pre = "qwen35"}). */
    QWEN35;

    private static final int LETTER = 1, NUMBER = 2, MARK = 3, SPACE = 4, NEWLINE = 5, OTHER = 6;
    private static final byte[] ASCII = new byte[128];

    static {
        for (int c = 0; c < 128; c++) ASCII[c] = (byte) classifySlow(c);
    }

    /** The pre-tokenizer for a GGUF {@code tokenizer.ggml.pre} value. */
    public static PreTokenizer fromGgufName(String pre) {
        return switch (pre) {
            case "qwen2" -> QWEN2;
            case "qwen35" -> QWEN35;
            default -> throw new IllegalArgumentException("unsupported tokenizer.ggml.pre '" + pre
                    + "' (qwen4j knows qwen2 and qwen35)");
        };
    }

    public String ggufName() {
        return this == QWEN2 ? "qwen2" : "qwen35";
    }

    /** Splits {@code text} into pieces whose concatenation is {@code text}. */
    public List<String> split(String text) {
        List<String> out = new ArrayList<>();
        split(text, (from, to) -> out.add(text.substring(from, to)));
        return out;
    }

    /** Calls {@code sink} with the [from, to) char range of each piece, in order. */
    public void split(String text, PieceSink sink) {
        int n = text.length();
        int i = 0;
        while (i < n) {
            int end = matchAt(text, i, n);
            sink.piece(i, end);
            i = end;
        }
    }

    @FunctionalInterface
    public interface PieceSink {
        void piece(int from, int to);
    }

    private int matchAt(String s, int i, int n) {
        int c = s.codePointAt(i);
        int cls = classify(c);
        int next = i + Character.charCount(c);

        // 1. contractions (ASCII apostrophe, ASCII letters only)
        if (c == '\'' && next < n) {
            int end = contraction(s, next, n);
            if (end > 0) return end;
        }
        // 2. optional non-letter/non-digit/non-newline prefix, then a letter run
        if (isLetterRun(cls)) return letterRun(s, next, n);
        if (cls != NUMBER && cls != NEWLINE && next < n && isLetterRun(classify(s.codePointAt(next)))) {
            return letterRun(s, next, n);
        }
        // 3. a single digit
        if (cls == NUMBER) return next;
        // 4. optional space, a run of "other" characters, trailing newlines
        if (c == ' ' && next < n && isOther(classify(s.codePointAt(next)))) {
            return otherRun(s, next, n);
        }
        if (isOther(cls)) return otherRun(s, i, n);
        // 5-7. whitespace (cls is SPACE or NEWLINE here)
        int runEnd = i;
        int lastNewlineEnd = -1;
        while (runEnd < n) {
            int cc = s.codePointAt(runEnd);
            int k = classify(cc);
            if (k != SPACE && k != NEWLINE) break;
            runEnd += Character.charCount(cc);
            if (k == NEWLINE) lastNewlineEnd = runEnd;
        }
        if (lastNewlineEnd > 0) return lastNewlineEnd;             // \s*[\r\n]+
        if (runEnd == n) return runEnd;                              // \s+(?!\S) at end of text
        int lastStart = runEnd - Character.charCount(s.codePointBefore(runEnd));
        if (lastStart > i) return lastStart;                         // \s+(?!\S): leave one space for the next word
        return runEnd;                                               // \s+
    }

    private boolean isLetterRun(int cls) {
        return cls == LETTER || (this == QWEN35 && cls == MARK);
    }

    private boolean isOther(int cls) {
        return cls == OTHER || (this == QWEN2 && cls == MARK);
    }

    private int letterRun(String s, int i, int n) {
        while (i < n) {
            int c = s.codePointAt(i);
            if (!isLetterRun(classify(c))) break;
            i += Character.charCount(c);
        }
        return i;
    }

    private int otherRun(String s, int i, int n) {
        while (i < n) {
            int c = s.codePointAt(i);
            if (!isOther(classify(c))) break;
            i += Character.charCount(c);
        }
        while (i < n && (s.charAt(i) == '\r' || s.charAt(i) == '\n')) i++;
        return i;
    }

    private static int contraction(String s, int i, int n) {
        char a = Character.toLowerCase(ascii(s.charAt(i)));
        if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 1;
        if (i + 1 < n) {
            char b = Character.toLowerCase(ascii(s.charAt(i + 1)));
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 2;
        }
        return -1;
    }

    private static char ascii(char c) {
        return c < 128 ? c : '\0';
    }

    private static int classify(int c) {
        return c < 128 ? ASCII[c] : classifySlow(c);
    }

    private static int classifySlow(int c) {
        if (c == '\r' || c == '\n') return NEWLINE;
        if (isWhiteSpace(c)) return SPACE;
        return switch (Character.getType(c)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK -> MARK;
            default -> OTHER;
        };
    }

    /** The Unicode White_Space property. */
    static boolean isWhiteSpace(int c) {
        return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
    }
}
