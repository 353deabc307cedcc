package dev.qwen4j.cli;

import dev.qwen4j.gguf.GgufWriter;
import dev.qwen4j.hub.FakeHub;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** pull / list / show / rm through {@link Main#execute}, against a local imitation of the hub. */
class HubCommandsTest {
    static final String REPO = "Qwen/Qwen3-0.6B-GGUF";
    static final String TEMPLATE = "{%- for message in messages %}<|im_start|>{{ message.role }}{% endfor %}";

    @TempDir
    Path home;
    FakeHub hub;
    Map<String, String> savedEnvironment;
    String out;
    String err;

    @BeforeEach
    void start() throws IOException {
        byte[] model = new GgufWriter()
                .putString("general.architecture", "qwen3")
                .putString("general.name", "Qwen3 0.6B test")
                .putUInt32("qwen3.block_count", 2)
                .putUInt32("qwen3.context_length", 40960)
                .putUInt32("qwen3.embedding_length", 8)
                .putUInt32("qwen3.attention.head_count", 2)
                .putUInt32("qwen3.attention.head_count_kv", 1)
                .putString("tokenizer.chat_template", TEMPLATE)
                .addF32("token_embd.weight", new long[] {8, 1024}, new float[8 * 1024]) // 32 KiB: served from LFS
                .toBytes();
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("README.md", "card".getBytes(StandardCharsets.UTF_8));
        files.put("Qwen3-0.6B-Q8_0.gguf", model);
        hub = new FakeHub().repo(REPO, "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00", files);
        savedEnvironment = HubAccess.environment;
        HubAccess.environment = Map.of("HF_HOME", home.toString(), "HF_ENDPOINT", hub.endpoint());
    }

    @AfterEach
    void stop() {
        HubAccess.environment = savedEnvironment;
        hub.close();
    }

    int run(String... args) {
        CliRunner.Run r = CliRunner.run(args);
        out = r.out();
        err = r.err();
        return r.exit();
    }

    @Test
    void aMalformedEndpointIsNamedOnlyWhenTheNetworkIsNeeded() {
        HubAccess.environment = Map.of("HF_HOME", home.toString(), "HF_ENDPOINT", "not a url");
        assertEquals(0, run("list"), err);
        assertEquals(1, run("pull", "qwen3:0.6b"));
        assertEquals("qwen4j: HF_ENDPOINT 'not a url' is not a URL such as https://huggingface.co\n", err);
    }

    @Test
    void pullListShowRm() throws IOException {
        assertEquals(0, run("pull", "qwen3:0.6b"), err);
        assertTrue(out.startsWith("qwen3:0.6b: downloaded Qwen3-0.6B-Q8_0.gguf"), out);
        assertTrue(err.contains("downloading Qwen3-0.6B-Q8_0.gguf (32."), err);
        assertEquals(1, hub.requests("GET", "/cdn/").size());

        assertEquals(0, run("pull", "qwen3:0.6b"), err);
        assertTrue(out.startsWith("qwen3:0.6b: up to date"), out);

        assertEquals(0, run("list"), err);
        String[] lines = out.split("\n");
        assertEquals(2, lines.length, out);
        assertTrue(lines[0].startsWith("NAME"), out);
        assertTrue(lines[1].startsWith("qwen3:0.6b-q8_0") && lines[1].endsWith(REPO), out);

        assertEquals(0, run("show", "qwen3:0.6b-q8_0"), err);
        assertTrue(out.contains("architecture:  qwen3\n"), out);
        assertTrue(out.contains("name:          Qwen3 0.6B test\n"), out);
        assertTrue(out.contains("repo:          " + REPO + " @ c0ffee00"), out);
        assertTrue(out.contains("quant:         Q8_0\n"), out);
        assertTrue(out.contains("template:      " + TEMPLATE.length() + " chars"), out);
        assertTrue(out.contains("context:       40960 tokens"), out);

        assertEquals(0, run("show", "qwen3:0.6b", "--template"), err);
        assertTrue(out.contains(TEMPLATE), out);

        int requests = hub.requestCount();
        assertEquals(0, run("rm", "qwen3:0.6b-q8_0"), err);
        assertTrue(out.startsWith("deleted qwen3:0.6b-q8_0"), out);
        assertFalse(Files.exists(home.resolve("hub/models--Qwen--Qwen3-0.6B-GGUF")));
        assertEquals(0, run("list"), err);
        assertTrue(out.startsWith("no models in "), out);
        assertEquals(requests, hub.requestCount(), "list, show and rm never use the network");
    }

    @Test
    void hfHubDisableProgressBarsSilencesTheProgress() {
        HubAccess.environment = Map.of("HF_HOME", home.toString(), "HF_ENDPOINT", hub.endpoint(),
                "HF_HUB_DISABLE_PROGRESS_BARS", "1");
        assertEquals(0, run("pull", "qwen3:0.6b"), err);
        assertEquals("", err);
    }

    @Test
    void rmOfAModelNotCachedFailsWithOneLine() {
        assertEquals(1, run("rm", "qwen3:4b"));
        assertTrue(err.startsWith("qwen4j: qwen3:4b is not in the cache"), err);
        assertEquals(1, err.strip().split("\n").length, err);
    }

    @Test
    void showOfAModelNotPulledSaysHowToGetIt() {
        assertEquals(1, run("show", "qwen3:0.6b"));
        assertTrue(err.contains("get it with: qwen4j pull qwen3:0.6b"), err);
        assertEquals(0, hub.requestCount());
    }

    @Test
    void pullOfAnUnknownQuantListsTheAvailableOnes() {
        assertEquals(1, run("pull", "qwen3:0.6b-q4_k_m"));
        assertEquals("qwen4j: no Q4_K_M quant of qwen3:0.6b-q4_k_m in " + REPO + "; available quants: Q8_0", err.strip());
    }

    @Test
    void pullOfflineNeverConnects() {
        assertEquals(1, run("pull", "--offline", "qwen3:0.6b"));
        assertTrue(err.contains("offline mode is on"), err);
        assertEquals(0, hub.requestCount());
    }

    @Test
    void showWorksOnAPlainPath() throws IOException {
        assertEquals(0, run("pull", "qwen3:0.6b"), err);
        Path file = Files.list(home.resolve("hub/models--Qwen--Qwen3-0.6B-GGUF/blobs")).findFirst().orElseThrow();
        assertEquals(0, run("show", file.toString()), err);
        assertTrue(out.contains("architecture:  qwen3"), out);
    }

    @Test
    void checkMemoryRefusesAContextNoMachineHas() throws IOException {
        assertEquals(0, run("pull", "qwen3:0.6b"), err);
        Path file = Files.list(home.resolve("hub/models--Qwen--Qwen3-0.6B-GGUF/blobs")).findFirst().orElseThrow();
        java.io.StringWriter warnings = new java.io.StringWriter();
        HubAccess.checkMemory("qwen3:0.6b", file, 4096, new java.io.PrintWriter(warnings));
        dev.qwen4j.hub.MemoryFit.NotEnoughMemoryException e = org.junit.jupiter.api.Assertions.assertThrows(
                dev.qwen4j.hub.MemoryFit.NotEnoughMemoryException.class,
                () -> HubAccess.checkMemory("qwen3:0.6b", file, Integer.MAX_VALUE, new java.io.PrintWriter(warnings)));
        assertTrue(e.getMessage().startsWith("qwen3:0.6b will not fit in memory"), e.getMessage());
    }

    @Test
    void anUnknownModelSizeIsOneClearLine() {
        assertEquals(1, run("pull", "qwen3:14b"));
        assertEquals("qwen4j: unknown model size '14b' for qwen3; known: qwen3:0.6b, qwen3:1.7b, qwen3:4b, qwen3:8b", err.strip());
    }
}
