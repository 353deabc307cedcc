package dev.qwen4j.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HubConfigTest {
    @TempDir
    Path dir;

    @Test
    void defaultsFollowHuggingfaceHub() {
        HubConfig c = HubConfig.fromEnvironment(Map.of("HOME", dir.toString()));
        assertEquals("https://huggingface.co", c.endpoint());
        assertEquals(dir.resolve(".cache/huggingface/hub"), c.hubCache());
        assertNull(c.token());
        assertFalse(c.offline());
    }

    @Test
    void hfHomeXdgAndHubCacheMoveTheCache() {
        assertEquals(dir.resolve("x/huggingface/hub"),
                HubConfig.fromEnvironment(Map.of("HOME", "/nowhere", "XDG_CACHE_HOME", dir.resolve("x").toString())).hubCache());
        assertEquals(dir.resolve("hf/hub"), HubConfig.fromEnvironment(Map.of("HF_HOME", dir.resolve("hf").toString())).hubCache());
        assertEquals(dir.resolve("c"), HubConfig.fromEnvironment(Map.of("HF_HOME", "/nowhere",
                "HF_HUB_CACHE", dir.resolve("c").toString())).hubCache());
    }

    @Test
    void endpointAndOfflineComeFromTheEnvironment() {
        HubConfig c = HubConfig.fromEnvironment(Map.of("HF_HOME", dir.toString(), "HF_ENDPOINT", "https://hf-mirror.com/",
                "HF_HUB_OFFLINE", "1"));
        assertEquals("https://hf-mirror.com", c.endpoint());
        assertEquals("hf-mirror.com", c.endpointHost());
        assertTrue(c.offline());
        assertTrue(HubConfig.fromEnvironment(Map.of("HF_HOME", dir.toString(), "HF_HUB_OFFLINE", "true")).offline());
        assertFalse(HubConfig.fromEnvironment(Map.of("HF_HOME", dir.toString(), "HF_HUB_OFFLINE", "0")).offline());
    }

    @Test
    void hfHubDownloadTimeoutSetsTheStallTimeout() {
        assertEquals(java.time.Duration.ofSeconds(60), HubConfig.fromEnvironment(Map.of("HF_HOME", dir.toString())).stallTimeout());
        assertEquals(java.time.Duration.ofMillis(2500),
                HubConfig.fromEnvironment(Map.of("HF_HOME", dir.toString(), "HF_HUB_DOWNLOAD_TIMEOUT", "2.5")).stallTimeout());
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> HubConfig.fromEnvironment(Map.of("HF_HOME", dir.toString(), "HF_HUB_DOWNLOAD_TIMEOUT", "soon")));
        assertTrue(e.getMessage().contains("HF_HUB_DOWNLOAD_TIMEOUT"), e.getMessage());
    }

    @Test
    void theTokenComesFromHfTokenOrTheLoginFile() throws IOException {
        assertEquals("hf_env", HubConfig.fromEnvironment(Map.of("HF_HOME", dir.toString(), "HF_TOKEN", "hf_env")).token());
        Files.writeString(dir.resolve("token"), "hf_file\n");
        assertEquals("hf_file", HubConfig.fromEnvironment(Map.of("HF_HOME", dir.toString())).token());
        assertEquals("hf_env", HubConfig.fromEnvironment(Map.of("HF_HOME", dir.toString(), "HF_TOKEN", "hf_env")).token());
    }
}
