package dev.qwen4j.tokenizer;

import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * llama.cpp's test-tokenizer-0 corpora (fixtures README §5): with NFC off, every string must give llama.cpp's ids
 * exactly, and decoding must give the string back.
 */
class TokenizerCorpusTest {
    static Tokenizer qwen3Vocab;
    static Tokenizer qwen3Micro;
    static Tokenizer qwen35Micro;

    @BeforeAll
    static void load() throws IOException {
        qwen3Vocab = load(Fixtures.tokenizer("ggml-vocab-qwen3.gguf"));
        qwen3Micro = load(Fixtures.model("qwen3-micro-F32.gguf"));
        qwen35Micro = load(Fixtures.model("qwen35-micro-F32.gguf"));
    }

    static Tokenizer load(Path file) throws IOException {
        try (GgufFile gguf = GgufFile.open(file)) {
            return Tokenizer.fromGguf(gguf);
        }
    }

    @Test
    void qwen2CorpusMatchesLlamaCppOnTheQwen3Vocabulary() throws IOException {
        assertEquals(PreTokenizer.QWEN2, qwen3Vocab.preTokenizer());
        assertCorpus(qwen3Vocab.withNfc(false), "ggml-vocab-qwen2.gguf", 46);
    }

    @Test
    void qwen35CorpusMatchesLlamaCppWithTheQwen35PreTokenizer() throws IOException {
        assertCorpus(qwen3Vocab.withNfc(false).withPreTokenizer(PreTokenizer.QWEN35), "ggml-vocab-qwen35.gguf", 50);
    }

    @Test
    void qwen2CorpusMatchesLlamaCppOnTheMicroVocabulary() throws IOException {
        assertEquals(PreTokenizer.QWEN2, qwen3Micro.preTokenizer());
        assertCorpus(qwen3Micro.withNfc(false), "micro-vocab-2048.pre-qwen2", 46);
    }

    @Test
    void qwen35CorpusMatchesLlamaCppOnTheMicroVocabulary() throws IOException {
        assertEquals(PreTokenizer.QWEN35, qwen35Micro.preTokenizer());
        assertCorpus(qwen35Micro.withNfc(false), "micro-vocab-2048.pre-qwen35", 50);
    }

    @Test
    void withNfcOnNfcTextMatchesAndOtherTextIsTokenizedAsItsNfcForm() throws IOException {
        for (String stem : List.of("ggml-vocab-qwen2.gguf", "ggml-vocab-qwen35.gguf")) {
            Tokenizer nfc = qwen3Vocab.withPreTokenizer(stem.contains("35") ? PreTokenizer.QWEN35 : PreTokenizer.QWEN2);
            Tokenizer raw = nfc.withNfc(false);
            List<String> inputs = readInputs(Fixtures.tokenizer(stem + ".inp"));
            int nonNfc = 0;
            for (String text : inputs) {
                String normalized = Normalizer.normalize(text, Normalizer.Form.NFC);
                if (!normalized.equals(text)) nonNfc++;
                assertArrayEquals(raw.encode(normalized), nfc.encode(text), text);
                assertEquals(normalized, nfc.decode(nfc.encode(text)));
            }
            if (stem.contains("35")) assertTrue(nonNfc > 0, "the qwen35 corpus has a decomposed accent");
        }
    }

    private static void assertCorpus(Tokenizer tokenizer, String stem, int expectedCases) throws IOException {
        List<String> inputs = readInputs(Fixtures.tokenizer(stem + ".inp"));
        List<String> outputs = Files.readAllLines(Fixtures.tokenizer(stem + ".out"), StandardCharsets.UTF_8);
        assertEquals(expectedCases, inputs.size(), "cases in " + stem + ".inp");
        assertEquals(inputs.size(), outputs.size(), "lines in " + stem + ".out");
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            String text = inputs.get(i);
            int[] expected = parseIds(outputs.get(i));
            int[] actual = tokenizer.encode(text);
            if (!Arrays.equals(expected, actual)) {
                failures.add("#" + i + " " + escape(text) + "\n   expected " + Arrays.toString(expected) + "\n   actual   " + Arrays.toString(actual));
            }
            assertEquals(text, tokenizer.decode(actual), "round trip of case #" + i);
        }
        assertTrue(failures.isEmpty(), stem + ": " + failures.size() + " mismatches\n" + String.join("\n", failures));
    }

    static List<String> readInputs(Path file) throws IOException {
        String all = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        String separator = "\n__ggml_vocab_test__\n";
        List<String> cases = new ArrayList<>();
        int start = 0;
        while (start < all.length()) {
            int sep = all.indexOf(separator, start);
            if (sep < 0) throw new IllegalStateException(file + ": text after the last separator");
            cases.add(all.substring(start, sep));
            start = sep + separator.length();
        }
        return cases;
    }

    private static int[] parseIds(String line) {
        String t = line.trim();
        if (t.isEmpty()) return new int[0];
        return Arrays.stream(t.split(" +")).mapToInt(Integer::parseInt).toArray();
    }

    private static String escape(String s) {
        return "\"" + s.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r") + "\"";
    }

    @Test
    void shortAndLongMergeLoopsAgreeOnEveryCorpusPiece() throws IOException {
        for (String stem : List.of("ggml-vocab-qwen2.gguf", "ggml-vocab-qwen35.gguf")) {
            for (String text : readInputs(Fixtures.tokenizer(stem + ".inp"))) {
                for (String piece : PreTokenizer.QWEN2.split(text)) {
                    assertArrayEquals(qwen3Vocab.bpe(piece, 0), qwen3Vocab.bpe(piece, Integer.MAX_VALUE), piece);
                }
                // whole lines as single pieces: long inputs with many competing merges
                assertArrayEquals(qwen3Vocab.bpe(text, 0), qwen3Vocab.bpe(text, Integer.MAX_VALUE), text);
            }
        }
    }

    @Test
    void readmeExampleOnTheMicroVocabulary() {
        int[] expected = {39, 301, 385, 1879, 0, 220, 160, 121, 254, 161, 98, 121};
        assertArrayEquals(expected, qwen3Micro.encode("Hello world! 你好"));
        assertArrayEquals(expected, qwen35Micro.encode("Hello world! 你好"));
    }

    @Test
    void readmeExampleOnTheFullVocabulary() {
        assertArrayEquals(new int[] {9707, 1879, 0, 220, 108386}, qwen3Vocab.encode("Hello world! 你好"));
        assertArrayEquals(new int[] {9707, 1879}, qwen3Vocab.encode("Hello world"));
        assertArrayEquals(new int[] {21927, 1879}, qwen3Vocab.encode(" Hello world"));
    }

    @Test
    void chatMarkersAreSpecialOnlyWhenParsingIsAllowed() {
        String text = "<|im_start|>user\nHello<|im_end|>";
        assertArrayEquals(new int[] {2023, 872, 198, 39, 301, 385, 2024}, qwen3Micro.encode(text, true));
        int[] plain = qwen3Micro.encode(text, false);
        assertTrue(Arrays.stream(plain).noneMatch(id -> id == 2023 || id == 2024), Arrays.toString(plain));
        assertEquals(text, qwen3Micro.decode(plain));
    }
}
