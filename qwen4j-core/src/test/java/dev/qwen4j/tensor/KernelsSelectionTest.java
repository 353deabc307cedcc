package dev.qwen4j.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KernelsSelectionTest {

    @Test
    void vectorKernelsAreTheDefaultWhenTheModuleIsPresent() {
        try (Kernels k = Kernels.create(1)) {
            assertTrue(k.implementation().startsWith("vector-"), k.implementation());
        }
    }

    @Test
    void systemPropertyForcesAnImplementation() {
        String before = System.getProperty("qwen4j.kernels");
        try {
            System.setProperty("qwen4j.kernels", "portable");
            try (Kernels k = Kernels.create(1)) {
                assertEquals("portable", k.implementation());
            }
            System.setProperty("qwen4j.kernels", "vector");
            try (Kernels k = Kernels.create(1)) {
                assertTrue(k.implementation().startsWith("vector-"));
            }
            System.setProperty("qwen4j.kernels", "fast");
            var e = assertThrows(IllegalArgumentException.class, () -> Kernels.create(1));
            assertTrue(e.getMessage().contains("auto, portable or vector"), e.getMessage());
        } finally {
            if (before == null) System.clearProperty("qwen4j.kernels");
            else System.setProperty("qwen4j.kernels", before);
        }
    }

    @Test
    void zeroThreadsMeansOnePerCore() {
        try (Kernels k = Kernels.create(0)) {
            assertEquals(Runtime.getRuntime().availableProcessors(), k.threads());
        }
    }
}
