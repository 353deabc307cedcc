package dev.qwen4j.tensor.quant;

import dev.qwen4j.tensor.MatmulKernel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * The batch's conversion split over threads equals the serial one, and the element-major copies made on demand
 * (by several threads at once) are exactly the transposes their definitions give, padding zero.
 */
class ActivationsTest {

    /** Splits {@code [0, count)} in {@code threads} ranges, each on its own thread. */
    private static MatmulKernel.Parallel threads(int threads, AtomicInteger ranges) {
        return (count, task) -> {
            List<Thread> started = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                int from = count * i / threads, to = count * (i + 1) / threads;
                if (from == to) continue;
                ranges.incrementAndGet();
                Thread t = new Thread(() -> task.run(from, to));
                t.start();
                started.add(t);
            }
            for (Thread t : started) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
        };
    }

    private static float[] input(int n, int batch, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * batch];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(5) - 2));
        return x;
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q8_1", "Q8_K", "F16", "BF16", "F32"})
    void parallelConversionEqualsSerial(Activations.Kind kind) {
        int n = 512, batch = 37;
        float[] x = input(n, batch, kind.ordinal());
        Activations serial = new Activations();
        serial.prepare(kind, x, n, batch);
        Activations split = new Activations();
        AtomicInteger ranges = new AtomicInteger();
        split.prepare(kind, x, n, batch, threads(3, ranges));
        assertEquals(kind == Activations.Kind.F32 ? 0 : 3, ranges.get(), "the batch was split (F32 needs no conversion)");
        switch (kind) {
            case F32 -> assertSame(x, split.x);
            case F16, BF16 -> assertArrayEquals(serial.x, split.x);
            default -> {
                assertArrayEquals(serial.q, split.q);
                assertArrayEquals(serial.qf, split.qf);
                assertArrayEquals(serial.d, split.d);
                if (kind == Activations.Kind.Q8_1) assertArrayEquals(serial.s, split.s);
                if (kind == Activations.Kind.Q8_K) {
                    assertArrayEquals(serial.bsums, split.bsums);
                    assertArrayEquals(serial.sums32, split.sums32);
                } else {
                    assertArrayEquals(serial.qsum, split.qsum);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q8_K", "F16"})
    void transposesMadeOnDemandByManyThreads(Activations.Kind kind) throws Exception {
        Activations a = new Activations();
        // A larger batch first: the buffers are then reused, and the padding of the smaller batch must be zero again.
        a.prepare(kind, input(512, 64, 1), 512, 64);
        a.xt();
        if (kind != Activations.Kind.F16) a.xts();
        int n = 512, batch = 40;
        a.prepare(kind, input(n, batch, 2), n, batch);
        assertEquals(64, a.tp);
        int askers = 4;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        List<Object[]> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < askers; i++) {
            Thread t = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                seen.add(new Object[] {a.xt(), kind == Activations.Kind.F16 ? null : a.xts(), kind == Activations.Kind.F16 ? null : a.dt()});
            });
            t.start();
            threads.add(t);
        }
        start.countDown();
        for (Thread t : threads) t.join();
        assertEquals(askers, seen.size());
        float[] values = kind == Activations.Kind.F16 ? a.x : a.qf;
        float[] xt = a.xt();
        for (int k = 0; k < n; k++) {
            for (int t = 0; t < a.tp; t++) {
                float want = t < batch ? values[t * n + k] : 0f;
                assertEquals(want, xt[k * a.tp + t], 0f, "xt element " + k + " token " + t);
            }
        }
        for (Object[] s : seen) assertSame(xt, s[0]);
        if (kind == Activations.Kind.F16) return;
        short[] xts = a.xts();
        float[] dt = a.dt();
        int blockSize = kind == Activations.Kind.Q8_K ? 256 : 32;
        for (int k = 0; k < n; k++) {
            for (int t = 0; t < a.tp; t++) {
                assertEquals(t < batch ? a.q[t * n + k] : 0, xts[k * a.tp + t], "xts element " + k + " token " + t);
            }
        }
        for (int j = 0; j < n / blockSize; j++) {
            for (int t = 0; t < a.tp; t++) {
                assertEquals(t < batch ? a.d[t * (n / blockSize) + j] : 0f, dt[j * a.tp + t], 0f, "dt block " + j + " token " + t);
            }
        }
        if (kind == Activations.Kind.Q8_K) {
            float[] s32t = a.s32t();
            for (int i = 0; i < n / 32; i++) {
                for (int t = 0; t < batch; t++) assertEquals(a.sums32[t * (n / 32) + i], s32t[i * a.tp + t], 0f);
            }
        }
    }

    @Test
    void oneVectorStaysOnTheCaller() {
        Activations a = new Activations();
        AtomicInteger ranges = new AtomicInteger();
        a.prepare(Activations.Kind.Q8_0, input(64, 1, 3), 64, 1, threads(2, ranges));
        assertEquals(0, ranges.get());
        for (int i = 0; i < 64; i++) assertEquals(Activations.pair(a.q[i]), a.qpairs()[i]);
    }
}
