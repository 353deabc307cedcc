package dev.qwen4j.tensor;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** In a JVM started without {@code --add-modules jdk.incubator.vector}, Kernels fall back to the portable code. */
class WithoutVectorModuleTest {

    /** Run in the child JVM: multiplies one tensor of every type and prints the implementation. */
    public static final class Child {
        public static void main(String[] args) {
            try (Kernels k = Kernels.create(2)) {
                for (GgmlType t : new GgmlType[] {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0,
                        GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.IQ4_NL, GgmlType.Q2_K, GgmlType.Q3_K,
                        GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_XS}) {
                    Tensor w = RandomWeights.tensor(t, 5, 256, 1);
                    float[] out = new float[5];
                    k.matvec(w, RandomWeights.vector(256, 2), out);
                }
                System.out.println("implementation=" + k.implementation());
            }
        }
    }

    @Test
    void kernelsLoadAndRunWithoutTheVectorApi() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"), Child.class.getName())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM finished");
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("implementation=portable"), output);
    }
}
