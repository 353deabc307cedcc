package dev.qwen4j.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The hand-written scanner against an oracle: {@link Pattern} compiled from the regexes of QWEN_SPEC.md §5.3 (with the
 * ASCII contraction group and {@code UNICODE_CHARACTER_CLASS}, as the spec's Java notes prescribe), on random text
 * mixing the character classes that matter. Set {@code -Dqwen4j.fuzz=N} for a longer run.
 */
class PreTokenizerOracleTest {
    private static final String CONTRACTIONS = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
    private static final Pattern QWEN2 = Pattern.compile(CONTRACTIONS
            + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern QWEN35 = Pattern.compile(CONTRACTIONS
            + "|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private static final int[] POOL = {
            'a', 'Z', 'e', 's', 'S', 't', 'r', 'E', 'v', 'l', 'L', 'd', 'm', '\'', '\u2019',
            '0', '7', '\u0663' /* arabic-indic 3 */, '\u216B' /* roman numeral twelve (Nl) */, '\u00BD' /* ½ (No) */,
            ' ', ' ', ' ', '\t', '\n', '\r', '\u000B', '\u000C', '\u0085', '\u00A0', '\u2028', '\u2029', '\u3000', '\u2009', '\u001F', '\u001C',
            '!', '.', ',', '-', '(', '[', '"', '$', '\u00A9', '\u2014',
            '\u0301', '\u0308', '\u094D' /* virama */, '\u093F' /* vowel sign i (Mc) */, '\u20DD' /* enclosing circle (Me) */,
            '\u00E9', '\u00DF', '\u0130', '\u017F', '\u0928', '\u092E', '\u4F60', '\u597D', '\u3042', '\u02B0' /* Lm */,
            0x1F600, 0x1F44D, 0x1D400 /* math bold A */, 0x20000 /* CJK ext B */, 0xE000 /* private use */,
    };

    @Test
    void scannerAgreesWithTheSpecRegexesOnRandomText() {
        int rounds = Integer.getInteger("qwen4j.fuzz", 3000);
        Random random = new Random(2024);
        for (int round = 0; round < rounds; round++) {
            StringBuilder sb = new StringBuilder();
            for (int i = random.nextInt(24); i > 0; i--) sb.appendCodePoint(POOL[random.nextInt(POOL.length)]);
            String text = sb.toString();
            assertEquals(oracle(QWEN2, text), PreTokenizer.QWEN2.split(text), () -> "qwen2 " + codePoints(text));
            assertEquals(oracle(QWEN35, text), PreTokenizer.QWEN35.split(text), () -> "qwen35 " + codePoints(text));
        }
    }

    /** Regex matches plus any unmatched gaps, as HF's Split(behavior = isolated) produces them. */
    private static List<String> oracle(Pattern pattern, String text) {
        List<String> pieces = new ArrayList<>();
        Matcher m = pattern.matcher(text);
        int last = 0;
        while (m.find()) {
            if (m.start() > last) pieces.add(text.substring(last, m.start()));
            if (m.end() > m.start()) pieces.add(m.group());
            last = m.end();
        }
        if (last < text.length()) pieces.add(text.substring(last));
        return pieces;
    }

    private static String codePoints(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().forEach(c -> sb.append(String.format("U+%04X ", c)));
        return sb.toString();
    }
}
