package dev.qwen4j.tokenizer;

import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.json.Json;
import dev.qwen4j.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizerTest {
    static Tokenizer micro;   // qwen3-micro: 2048 tokens, pre qwen2
    static Tokenizer micro35; // qwen35-micro: same vocabulary, pre qwen35

    @BeforeAll
    static void load() throws IOException {
        micro = TokenizerCorpusTest.load(Fixtures.model("qwen3-micro-F32.gguf"));
        micro35 = TokenizerCorpusTest.load(Fixtures.model("qwen35-micro-F32.gguf"));
    }

    /** The qwen3-micro tokenizer metadata with one change. */
    private static Tokenizer microWith(java.util.function.Consumer<dev.qwen4j.gguf.GgufWriter> change) throws IOException {
        try (GgufFile f = GgufFile.open(Fixtures.model("qwen3-micro-F32.gguf"))) {
            dev.qwen4j.gguf.GgufWriter w = dev.qwen4j.gguf.GgufWriter.copyOfMetadata(f);
            change.accept(w);
            return Tokenizer.fromGguf(GgufFile.parse(w.toBytes()));
        }
    }

    @Test
    void aBrokenVocabularyIsAnErrorNotLostText() throws IOException {
        // token_type shorter than tokens was an ArrayIndexOutOfBoundsException
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> microWith(w -> w.putInt32s("tokenizer.ggml.token_type", 1, 1, 1)));
        assertTrue(e.getMessage().endsWith("token_type has 3 entries for 2048 tokens"), e.getMessage());
        // a vocabulary without the byte tokens used to drop the text silently (encode gave no ids)
        String[] noBytes = new String[2048];
        java.util.Arrays.fill(noBytes, "x");
        Tokenizer broken = microWith(w -> w.putStrings("tokenizer.ggml.tokens", noBytes));
        e = assertThrows(IllegalArgumentException.class, () -> broken.encode("hello", false));
        assertEquals("the vocabulary has no token for byte 0x68, so it cannot encode 'hello'", e.getMessage());
    }

    @Test
    void aHugeTokenIdInTokenizerJsonIsAnErrorNotAnOutOfMemoryCrash(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"h\":2000000000},\"merges\":[]}}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromHuggingFace(dir));
        assertTrue(e.getMessage().endsWith("'model.vocab' holds 2000000000, expected a token id (0..16777215)"), e.getMessage());
    }

    @Test
    void byteTableSpotChecks() {
        assertEquals('\u0100', ByteLevel.charOf(0x00));
        assertEquals('\u0109', ByteLevel.charOf(0x09));
        assertEquals('\u010A', ByteLevel.charOf(0x0A));
        assertEquals('\u0120', ByteLevel.charOf(0x20));
        assertEquals('\u0121', ByteLevel.charOf(0x7F));
        assertEquals('\u0122', ByteLevel.charOf(0x80));
        assertEquals('\u0142', ByteLevel.charOf(0xA0));
        assertEquals('\u0143', ByteLevel.charOf(0xAD));
        assertEquals('!', ByteLevel.charOf(0x21));
        assertEquals('\u00FF', ByteLevel.charOf(0xFF));
        byte[] utf8 = "héllo 世界".getBytes(StandardCharsets.UTF_8);
        assertEquals("hÃ©lloĠä¸ĸçķĮ", ByteLevel.encode(utf8, 0, utf8.length));
        for (int b = 0; b < 256; b++) assertEquals(b, ByteLevel.byteOf(ByteLevel.charOf(b)));
    }

    @Test
    void addedTokensHaveTheirFileTypesWithFimTokensPromotedToControl() {
        assertEquals(TokenType.CONTROL, micro.tokenType(2023));            // <|im_start|>
        assertEquals(TokenType.USER_DEFINED, micro.tokenType(2046));       // <think>
        assertEquals(TokenType.CONTROL, micro.tokenType(2041));            // <|fim_pad|>: user-defined in the file
        assertEquals(2046, micro.tokenId("<think>").orElseThrow());
        assertEquals(198, micro.tokenId("Ċ").orElseThrow());
    }

    @Test
    void endOfGenerationSetIsLlamaCpps() {
        assertEquals(Set.of(2022, 2024, 2041, 2042, 2043), micro.endOfGenerationIds());
        assertTrue(micro.isEndOfGeneration(2024));
        assertFalse(micro.isEndOfGeneration(2023));
    }

    @Test
    void userDefinedTokensAlwaysMatchControlTokensOnlyOnRequest() {
        // <think> and <tool_call> are single tokens even without special parsing (llama.cpp behaviour).
        assertArrayEquals(new int[] {2046, 39}, micro.encode("<think>H"));
        assertArrayEquals(new int[] {2036, 2037}, micro.encode("<tool_call></tool_call>"));
        // <|fim_pad|> is control (promoted), so plain text unless parseSpecial.
        assertFalse(contains(micro.encode("<|fim_pad|>"), 2041));
        assertArrayEquals(new int[] {2041}, micro.encode("<|fim_pad|>", true));
    }

    @Test
    void decodeHidesControlTokensUnlessAskedButShowsUserDefined() {
        int[] ids = micro.encode("<|im_start|>user\n<think>x</think><|im_end|>", true);
        assertEquals("user\n<think>x</think>", micro.decode(ids));
        assertEquals("<|im_start|>user\n<think>x</think><|im_end|>", micro.decode(ids, true));
        assertEquals("<|im_end|>", micro.piece(2024));
    }

    @Test
    void nfcIsOnByDefaultAndCanBeSwitchedOff() {
        String decomposed = "e\u0301";
        assertTrue(micro.nfc());
        assertArrayEquals(micro.encode("\u00e9"), micro.encode(decomposed));
        assertEquals(decomposed, micro.withNfc(false).decode(micro.withNfc(false).encode(decomposed)));
        assertFalse(java.util.Arrays.equals(micro.encode(decomposed), micro.withNfc(false).encode(decomposed)));
    }

    @Test
    void streamingDecoderNeverEmitsHalfACharacter() {
        String text = "a你好😀b";
        int[] ids = micro.encode(text); // the micro vocabulary splits each CJK character and the emoji into bytes
        assertTrue(ids.length >= 10, "expected byte tokens: " + java.util.Arrays.toString(ids));
        StreamingDecoder decoder = micro.streamingDecoder();
        StringBuilder all = new StringBuilder();
        for (int id : ids) {
            String part = decoder.accept(id);
            assertFalse(!part.isEmpty() && Character.isHighSurrogate(part.charAt(part.length() - 1)), "split surrogate pair");
            assertFalse(part.contains("\uFFFD"), "replacement char in " + part);
            all.append(part);
        }
        all.append(decoder.finish());
        assertEquals(text, all.toString());
    }

    @Test
    void invalidBytesBecomeReplacementCharactersWithoutThrowing() {
        StreamingDecoder decoder = micro.streamingDecoder();
        assertEquals("a", decoder.acceptBytes(new byte[] {'a', (byte) 0xE4})); // held back
        assertTrue(decoder.hasPendingBytes());
        assertEquals("\uFFFDb", decoder.acceptBytes(new byte[] {'b'}));       // broken sequence
        assertEquals("", decoder.acceptBytes(new byte[] {(byte) 0xF0, (byte) 0x9F}));
        assertEquals("\uFFFD", decoder.finish());                             // unterminated at EOS
        assertEquals("\uFFFD", micro.decode(new int[] {(int) micro.tokenId(String.valueOf(ByteLevel.charOf(0xFF))).orElseThrow()}));
    }

    @Test
    void rejectsIdsOutsideTheVocabulary() {
        assertThrows(IllegalArgumentException.class, () -> micro.decode(new int[] {2048}));
    }

    @Test
    void randomTextRoundTripsThroughEncodeAndDecode() {
        Random random = new Random(42);
        int[] alphabet = {'a', 'Z', ' ', '\n', '\t', '\'', '1', '!', 'é', '你', 0x1F600, 0x0301, 0x00A0, '<', '|', '>'};
        for (int round = 0; round < 300; round++) {
            StringBuilder sb = new StringBuilder();
            int len = random.nextInt(30);
            for (int i = 0; i < len; i++) sb.appendCodePoint(alphabet[random.nextInt(alphabet.length)]);
            String text = sb.toString();
            Tokenizer raw = (round % 2 == 0 ? micro : micro35).withNfc(false);
            assertEquals(text, raw.decode(raw.encode(text)), text);
        }
    }

    @Test
    void longRunsDoNotTakeQuadraticTime() {
        String spaces = " ".repeat(200_000) + "x";
        int[] ids = micro.encode(spaces);
        assertEquals(spaces, micro.decode(ids));
    }

    @Test
    void huggingFaceFolderGivesTheSameTokenizerAsTheGguf(@TempDir Path dir) throws IOException {
        writeTokenizerJson(dir, Fixtures.model("qwen35-micro-F32.gguf"));
        Tokenizer hf = Tokenizer.fromHuggingFace(dir);
        assertEquals(PreTokenizer.QWEN35, hf.preTokenizer());
        assertTrue(hf.nfc());
        assertEquals(micro35.vocabularySize(), hf.vocabularySize());
        assertEquals(micro35.endOfGenerationIds(), hf.endOfGenerationIds());
        assertTrue(hf.chatTemplate().orElseThrow().contains("<tool_call>"));
        for (String text : TokenizerCorpusTest.readInputs(Fixtures.tokenizer("micro-vocab-2048.pre-qwen35.inp"))) {
            assertArrayEquals(micro35.encode(text), hf.encode(text), text);
        }
        assertArrayEquals(micro35.encode("<|im_start|>x<think>", true), hf.encode("<|im_start|>x<think>", true));
    }

    /** Writes a tokenizer.json / tokenizer_config.json pair equivalent to a GGUF's vocabulary (merges as arrays). */
    private static void writeTokenizerJson(Path dir, Path gguf) throws IOException {
        try (GgufFile g = GgufFile.open(gguf)) {
            String[] tokens = g.getStringArray("tokenizer.ggml.tokens");
            int[] types = g.getIntArray("tokenizer.ggml.token_type");
            Map<String, Object> vocab = new LinkedHashMap<>();
            List<Object> added = new ArrayList<>();
            for (int i = 0; i < tokens.length; i++) {
                if (types[i] == 1) {
                    vocab.put(tokens[i], i);
                } else {
                    Map<String, Object> a = new LinkedHashMap<>();
                    a.put("id", i);
                    a.put("content", tokens[i]);
                    a.put("special", types[i] == 3);
                    added.add(a);
                }
            }
            List<Object> merges = new ArrayList<>();
            for (String m : g.getStringArray("tokenizer.ggml.merges")) merges.add(List.of(m.split(" ")));
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("added_tokens", added);
            json.put("normalizer", Map.of("type", "NFC"));
            json.put("pre_tokenizer", Map.of("type", "Sequence", "pretokenizers", List.of(Map.of("type", "Split",
                    "pattern", Map.of("Regex", "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")))));
            json.put("model", Map.of("type", "BPE", "vocab", vocab, "merges", merges));
            Files.writeString(dir.resolve("tokenizer.json"), Json.write(json));
            Files.writeString(dir.resolve("tokenizer_config.json"), Json.write(Map.of("eos_token", "<|im_end|>",
                    "chat_template", g.getString("tokenizer.chat_template"))));
        }
    }

    private static boolean contains(int[] ids, int id) {
        for (int i : ids) if (i == id) return true;
        return false;
    }
}
