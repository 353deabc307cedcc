package dev.qwen4j.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Split vectors of QWEN_SPEC.md §5.3 (verified there with Python's regex module). */
class PreTokenizerTest {

    private static void assertSplit(PreTokenizer pre, String text, String... pieces) {
        assertEquals(List.of(pieces), pre.split(text), pre + " on \"" + text + "\"");
    }

    private static void assertBoth(String text, String... pieces) {
        assertSplit(PreTokenizer.QWEN2, text, pieces);
        assertSplit(PreTokenizer.QWEN35, text, pieces);
    }

    @Test
    void wordsKeepTheirLeadingSpace() {
        assertBoth("Hello world", "Hello", " world");
        assertBoth(" Hello world", " Hello", " world");
    }

    @Test
    void contractionsDigitsPunctuationAndNewlines() {
        assertBoth("I'm 2024 ok!!\n\n  x", "I", "'m", " ", "2", "0", "2", "4", " ok", "!!\n\n", " ", " x");
        assertBoth("don'T  stop\tnow\n", "don", "'T", " ", " stop", "\tnow", "\n");
        assertBoth("x = [1, 22];\r\n", "x", " =", " [", "1", ",", " ", "2", "2", "];\r\n");
    }

    @Test
    void contractionsAreAsciiOnly() {
        // U+017F (long s) case-folds to 's' in Java's (?i) but is not a contraction here: it is a letter run.
        assertBoth("'\u017F", "'\u017F");
        assertBoth("we'LL", "we", "'LL");
    }

    @Test
    void combiningMarksSplitQwen2ButStayInQwen35LetterRuns() {
        assertSplit(PreTokenizer.QWEN2, "नमस्ते दुनिया", "नमस", "्त", "े", " द", "ुन", "िय", "ा");
        assertSplit(PreTokenizer.QWEN35, "नमस्ते दुनिया", "नमस्ते", " दुनिया");
        assertSplit(PreTokenizer.QWEN2, "a\u0301b", "a", "\u0301b");
        assertSplit(PreTokenizer.QWEN35, "a\u0301b", "a\u0301b");
    }

    @Test
    void unicodeWhitespaceIsTheWhiteSpaceProperty() {
        assertBoth("a\u00A0b", "a", "\u00A0b");          // no-break space is whitespace, joins the word as prefix
        assertBoth("a\u3000\u3000b", "a", "\u3000", "\u3000b"); // ideographic space
        assertBoth("a\u2028b", "a", "\u2028b");          // line separator is whitespace but not [\r\n]
        assertBoth("a\u001Fb", "a", "\u001Fb");          // U+001F is not White_Space (Python's \s would say it is)
        assertBoth("a \u001F\u001F", "a", " \u001F\u001F");
    }

    @Test
    void trailingAndRunsOfWhitespace() {
        assertBoth("a   ", "a", "   ");
        assertBoth("a   b", "a", "  ", " b");
        assertBoth(" \n \n  x", " \n \n", " ", " x");
        assertBoth("", new String[0]);
    }

    @Test
    void surrogatePairsAreSingleCharacters() {
        assertBoth("hi 😀😀!", "hi", " 😀😀!");
        assertBoth("𝐀𝐁 x", "𝐀𝐁", " x"); // mathematical bold letters are \p{L} outside the BMP
    }

    @Test
    void knowsTheGgufNames() {
        assertEquals(PreTokenizer.QWEN2, PreTokenizer.fromGgufName("qwen2"));
        assertEquals(PreTokenizer.QWEN35, PreTokenizer.fromGgufName("qwen35"));
        assertEquals("qwen35", PreTokenizer.QWEN35.ggufName());
    }
}
