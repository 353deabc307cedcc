package dev.qwen4j.cli;

import dev.qwen4j.json.Json;
import dev.qwen4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizeCommandTest {
    private static final String MODEL = Fixtures.model("qwen3-micro-F32.gguf").toString();

    @Test
    void printsIdsAndPiecesAsJson() {
        CliRunner.Run r = CliRunner.run("tokenize", "--model", MODEL, "--json", "Hello world! 你好");
        assertEquals(0, r.exit(), r.err());
        Map<String, Object> json = Json.parseObject(r.out().trim());
        assertEquals(List.of(39L, 301L, 385L, 1879L, 0L, 220L, 160L, 121L, 254L, 161L, 98L, 121L), json.get("ids"));
        assertEquals(List.of("H", "el", "lo", " world", "!", " "), ((List<?>) json.get("pieces")).subList(0, 6));
    }

    @Test
    void specialFlagParsesControlTokens() {
        CliRunner.Run plain = CliRunner.run("tokenize", "-m", MODEL, "--json", "<|im_start|>user\nHello<|im_end|>");
        CliRunner.Run special = CliRunner.run("tokenize", "-m", MODEL, "--json", "--special", "<|im_start|>user\nHello<|im_end|>");
        assertEquals(List.of(2023L, 872L, 198L, 39L, 301L, 385L, 2024L), Json.parseObject(special.out().trim()).get("ids"));
        assertTrue(!((List<?>) Json.parseObject(plain.out().trim()).get("ids")).contains(2023L));
    }

    @Test
    void fileIsReadAsExactBytesIncludingTheTrailingNewline(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("in.txt");
        Files.write(f, "Hello\n".getBytes(StandardCharsets.UTF_8));
        CliRunner.Run r = CliRunner.run("tokenize", "--model", MODEL, "--file", f.toString(), "--json");
        assertEquals(List.of(39L, 301L, 385L, 198L), Json.parseObject(r.out().trim()).get("ids"));
    }

    @Test
    void noNfcKeepsDecomposedAccents() {
        CliRunner.Run nfc = CliRunner.run("tokenize", "-m", MODEL, "--json", "e\u0301");
        CliRunner.Run raw = CliRunner.run("tokenize", "-m", MODEL, "--json", "--no-nfc", "e\u0301");
        assertEquals(Json.parseObject(CliRunner.run("tokenize", "-m", MODEL, "--json", "\u00e9").out().trim()).get("ids"),
                Json.parseObject(nfc.out().trim()).get("ids"));
        Map<String, Object> rawJson = Json.parseObject(raw.out().trim());
        assertEquals("e", ((List<?>) rawJson.get("pieces")).getFirst()); // the accent stays a separate character
        assertTrue(!rawJson.get("ids").equals(Json.parseObject(nfc.out().trim()).get("ids")));
    }

    @Test
    void plainOutputListsOneTokenPerLine() {
        CliRunner.Run r = CliRunner.run("tokenize", "--model", MODEL, "Hi\n");
        assertEquals(0, r.exit());
        List<String> lines = r.out().lines().toList();
        assertEquals("3 tokens", lines.getLast());
        assertTrue(lines.get(0).trim().startsWith("39 "), lines.get(0));
        assertTrue(lines.get(2).endsWith("\"\\n\""), lines.get(2));
    }

    @Test
    void missingModelIsOneLineError() {
        CliRunner.Run r = CliRunner.run("tokenize", "--model", "/no/such/model.gguf", "x");
        assertEquals(1, r.exit());
        assertEquals("qwen4j: no such file: /no/such/model.gguf", r.err().trim());
    }

    @Test
    void textAndFileTogetherIsAUsageError() {
        CliRunner.Run r = CliRunner.run("tokenize", "--model", MODEL, "--file", "a.txt", "x");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("exactly one"), r.err());
    }
}
