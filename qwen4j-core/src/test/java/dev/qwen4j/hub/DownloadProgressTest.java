package dev.qwen4j.hub;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DownloadProgressTest {
    @Test
    void withoutATerminalItPrintsALineEveryTenPercent() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        AtomicLong now = new AtomicLong();
        DownloadProgress p = DownloadProgress.console(new PrintStream(buf, true, StandardCharsets.UTF_8), false, now::get);

        p.start("m.gguf", 1000, 0);
        for (long done = 1; done <= 1000; done++) {
            now.addAndGet(1_000_000); // 1 ms per byte: 1000 B/s
            p.update(done);
        }
        p.finish();

        String out = buf.toString(StandardCharsets.UTF_8);
        String[] lines = out.split("\n");
        assertEquals(11, lines.length, out); // the "downloading" line and 10%..100%
        assertTrue(lines[0].startsWith("downloading m.gguf"), lines[0]);
        assertTrue(lines[10].contains("100%") && lines[10].contains("1000 B/s"), lines[10]);
        assertFalse(out.contains("\r"));
    }

    @Test
    void aResumedDownloadSaysWhereItResumes() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        DownloadProgress p = DownloadProgress.console(new PrintStream(buf, true, StandardCharsets.UTF_8), false, () -> 0);
        p.start("m.gguf", 2048, 1024);
        for (long done = 1024; done <= 2048; done += 64) p.update(done);
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.startsWith("resuming m.gguf at 1.0 KiB of 2.0 KiB"), out);
        assertEquals(6, out.split("\n").length, out); // resumed at 50%: lines for 60..100%
    }

    @Test
    void onATerminalItRedrawsOneBarWithSpeedAndEta() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        AtomicLong now = new AtomicLong();
        DownloadProgress p = DownloadProgress.console(new PrintStream(buf, true, StandardCharsets.UTF_8), true, now::get);
        p.start("m.gguf", 4L << 20, 0);
        now.set(1_000_000_000L);
        p.update(1L << 20);
        p.finish();
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("\r"));
        assertTrue(out.contains("25% 1.0 MiB / 4.0 MiB  1.0 MiB/s  ETA 00:03"), out);
        assertTrue(out.endsWith("\n"));
    }
}
