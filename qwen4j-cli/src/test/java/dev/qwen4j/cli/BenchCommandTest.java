package dev.qwen4j.cli;

import dev.qwen4j.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchCommandTest {
    @TempDir
    Path cache;

    @Test
    void jsonReportsOneObjectPerTestWithLlamaBenchFields() {
        CliRunner.Run r = CliRunner.run("bench", "--synthetic", "qwen3-micro:f32", "-p", "8", "-n", "4", "-r", "2", "-t", "1",
                "--json", "--cache-dir", cache.toString());
        assertEquals(0, r.exit(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(2, lines.length, r.out());
        Map<String, Object> pp = Json.parseObject(lines[0]);
        Map<String, Object> tg = Json.parseObject(lines[1]);
        assertEquals(8, ((Number) pp.get("n_prompt")).intValue());
        assertEquals(0, ((Number) pp.get("n_gen")).intValue());
        assertEquals(4, ((Number) tg.get("n_gen")).intValue());
        assertEquals(1, ((Number) tg.get("n_threads")).intValue());
        for (Map<String, Object> o : List.of(pp, tg)) {
            assertTrue(((String) o.get("model_type")).startsWith("qwen3 "), o.toString());
            assertTrue(((Number) o.get("model_size")).longValue() > 0);
            assertEquals(2, ((List<?>) o.get("samples_ts")).size());
            assertTrue(((Number) o.get("avg_ts")).doubleValue() > 0);
            assertTrue(((Number) o.get("stddev_ts")).doubleValue() >= 0);
        }
        assertTrue(Files.exists(cache.resolve("qwen3-micro-f32.gguf")), "synthetic model is kept for the next run");
        assertEquals("f32", pp.get("type_k"));
    }

    @Test
    void kvCacheTypeIsChosenAndReported() {
        CliRunner.Run r = CliRunner.run("bench", "--synthetic", "qwen3-micro:f32", "-p", "20", "-n", "0", "-r", "1", "-t", "1",
                "--kv-cache", "f16", "--json", "--cache-dir", cache.toString());
        assertEquals(0, r.exit(), r.err());
        Map<String, Object> pp = Json.parseObject(r.out().strip());
        assertEquals("f16", pp.get("type_k"));
        assertEquals("f16", pp.get("type_v"));

        CliRunner.Run bad = CliRunner.run("bench", "--synthetic", "qwen3-micro:f32", "-p", "4", "-n", "0", "--kv-cache", "q4",
                "--cache-dir", cache.toString());
        assertEquals(1, bad.exit());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
        assertTrue(bad.err().contains("--kv-cache q4 is not a cache type"), bad.err());
    }

    @Test
    void tablePrintsOneRowPerTest() {
        CliRunner.Run r = CliRunner.run("bench", "--synthetic", "qwen3.5-micro:q8_0", "-p", "4", "-n", "2", "-r", "1", "-t", "1",
                "--cache-dir", cache.toString());
        assertEquals(0, r.exit(), r.err());
        List<String> rows = r.out().lines().filter(l -> l.contains("qwen35")).toList();
        assertEquals(2, rows.size(), r.out());
        assertTrue(rows.get(0).contains("pp4") && rows.get(1).contains("tg2"), r.out());
    }

    @Test
    void withoutAModelItSaysWhatToGive() {
        CliRunner.Run r = CliRunner.run("bench");
        assertEquals(1, r.exit());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("--synthetic"), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }

    @Test
    void unknownPresetIsAOneLineError() {
        CliRunner.Run r = CliRunner.run("bench", "--synthetic", "qwen9-huge:q8_0", "--cache-dir", cache.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("unknown synthetic model"), r.err());
    }
}
