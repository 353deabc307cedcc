package dev.qwen4j.tensor;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same answer on every run: the float kernels give the same bits interpreted and compiled by C2 (the Vector
 * API's {@code reduceLanes(ADD)} and {@code lanewise(EXP)} did not, so greedy output once depended on when the
 * JIT compiled a loop). Each tier runs in a fresh JVM: {@code -Xint}; C2 only, the checksum taken after thousands
 * of runs; C1 only.
 */
class TierIndependenceTest {

    @Test
    void floatKernelsGiveTheSameBitsInterpretedAndCompiled() throws Exception {
        String interpreted = probe(1, "-Xint");
        String compiled = probe(4000, "-XX:-TieredCompilation");           // C2 only, after enough runs to compile
        String c1 = probe(4000, "-XX:TieredStopAtLevel=1");
        assertEquals(interpreted, compiled, "interpreted vs C2-compiled float kernels");
        assertEquals(interpreted, c1, "interpreted vs C1-compiled float kernels");
        assertEquals(interpreted, TierProbe.checksum(), "and this JVM, whatever it compiled by now");
    }

    private static String probe(int runs, String... flags) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(flags));
        cmd.addAll(List.of("--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                TierProbe.class.getName(), Integer.toString(runs)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        p.getOutputStream().close();
        boolean done = p.waitFor(120, TimeUnit.SECONDS);
        if (!done) p.destroyForcibly();
        assertTrue(done, "the probe JVM " + List.of(flags) + " did not finish in 120 s");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "probe " + List.of(flags) + " failed: " + err);
        assertTrue(out.matches("[0-9a-f]+"), "probe output: " + out + " / " + err);
        return out;
    }
}
