package dev.qwen4j.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The warm-up runs every kernel path of its types without error, and only once per JVM. */
class KernelWarmupTest {

    @Test
    void runsEveryPathOfBothImplementations() {
        try (Kernels vector = Kernels.create(1, Kernels.Implementation.VECTOR)) {
            assertDoesNotThrow(() -> KernelWarmup.run(new PortableMatmul()));
            MatmulKernel v = new dev.qwen4j.tensor.vector.VectorMatmul();
            assertDoesNotThrow(() -> KernelWarmup.run(v));
            // Off by default (it slowed the real products down): creating Kernels starts nothing.
            assertNull(KernelWarmup.startOnce(v));
        }
    }
}
