package dev.qwen4j.tensor;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkerPoolTest {

    @Test
    void everyIndexIsVisitedExactlyOnceInGrainAlignedChunks() {
        try (WorkerPool pool = new WorkerPool(3, 100_000)) {
            for (int total : new int[] {1, 15, 16, 17, 100, 1023, 1024, 248_320}) {
                AtomicIntegerArray seen = new AtomicIntegerArray(total);
                pool.run(total, 16, (from, to) -> {
                    assertEquals(0, from % 16, "chunk start");
                    for (int i = from; i < to; i++) seen.incrementAndGet(i);
                });
                for (int i = 0; i < total; i++) assertEquals(1, seen.get(i), "total " + total + " index " + i);
            }
        }
    }

    @Test
    void manyCallsInARowAllComplete() {
        try (WorkerPool pool = new WorkerPool(2, 1_000_000)) {
            long[] sum = new long[1];
            for (int call = 0; call < 20_000; call++) {
                long[] parts = new long[64];
                pool.run(64, 1, (from, to) -> {
                    for (int i = from; i < to; i++) parts[i] = i;
                });
                for (long v : parts) sum[0] += v;
            }
            assertEquals(20_000L * (63 * 64 / 2), sum[0]);
        }
    }

    @Test
    void workersThatParkedWakeUpForTheNextCall() throws InterruptedException {
        try (WorkerPool pool = new WorkerPool(2, 1_000)) {
            for (int round = 0; round < 3; round++) {
                Thread.sleep(20); // well past the 1 µs spin budget: the worker is parked
                AtomicIntegerArray seen = new AtomicIntegerArray(1000);
                pool.run(1000, 1, (from, to) -> {
                    for (int i = from; i < to; i++) seen.incrementAndGet(i);
                });
                for (int i = 0; i < 1000; i++) assertEquals(1, seen.get(i));
            }
        }
    }

    @Test
    void aFailureInAnyChunkReachesTheCaller() {
        try (WorkerPool pool = new WorkerPool(2, 100_000)) {
            IllegalStateException boom = new IllegalStateException("boom");
            var e = assertThrows(IllegalStateException.class, () -> pool.run(1000, 1, (from, to) -> {
                if (from <= 777 && 777 < to) throw boom;
            }));
            assertSame(boom, e);
            // and the pool still works afterwards
            AtomicIntegerArray seen = new AtomicIntegerArray(10);
            pool.run(10, 1, (from, to) -> seen.incrementAndGet(from));
            for (int i = 0; i < 10; i++) assertTrue(seen.get(i) == 1);
        }
    }
}
