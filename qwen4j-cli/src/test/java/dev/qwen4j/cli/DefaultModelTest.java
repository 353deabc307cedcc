package dev.qwen4j.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** With no MODEL, run and chat use the default model (qwen3.5:0.8b). Offline and with an empty cache, they say so. */
class DefaultModelTest {
    @TempDir
    Path home;
    private Map<String, String> saved;

    @BeforeEach
    void emptyCache() {
        saved = HubAccess.environment;
        HubAccess.environment = Map.of("HF_HOME", home.toString(), "HF_HUB_OFFLINE", "1");
    }

    @AfterEach
    void restore() {
        HubAccess.environment = saved;
    }

    @Test
    void runWithOnlyAPromptUsesTheDefaultModel() {
        CliRunner.Run r = CliRunner.run("run", "hello there");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("qwen3.5:0.8b") && r.err().contains("offline"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void chatWithoutAModelUsesTheDefaultModel() {
        CliRunner.Run r = CliRunner.run("chat");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("qwen3.5:0.8b"), r.err());
    }

    @Test
    void runWithoutAnyArgumentAsksForThePrompt() {
        CliRunner.Run r = CliRunner.run("run");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("Missing PROMPT"), r.err());
    }
}
