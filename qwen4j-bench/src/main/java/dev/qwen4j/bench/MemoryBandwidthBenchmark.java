package dev.qwen4j.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.ThreadParams;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

/**
 * The machine's memory read bandwidth: a SIMD streaming sum over a 1 GiB off-heap segment, with one thread
 * and with two threads each summing its half. Secondary metric {@code gb}: gigabytes read per second.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class MemoryBandwidthBenchmark {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final long SIZE = 1L << 30;

    private Arena arena;
    private MemorySegment data;

    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Traffic {
        public double gb;

        @Setup(Level.Iteration)
        public void reset() {
            gb = 0;
        }
    }

    @State(Scope.Thread)
    public static class Part {
        int index;
        int count;

        @Setup(Level.Trial)
        public void setUp(ThreadParams p) {
            index = p.getThreadIndex();
            count = p.getThreadCount();
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        data = arena.allocate(SIZE, 64);
        for (long i = 0; i < SIZE; i += 4096) data.set(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, 1f);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    /** Sums {@code [from, to)} in 1 MiB slices, each walked with an int index (a counted loop C2 unrolls). */
    private static float sum(MemorySegment seg, long from, long to) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int step = S.vectorByteSize();
        int slice = 1 << 20;
        for (long base = from; base < to; base += slice) {
            MemorySegment part = seg.asSlice(base, slice);
            for (int i = 0; i < slice; i += 4 * step) {
                a0 = a0.add(FloatVector.fromMemorySegment(S, part, i, ByteOrder.LITTLE_ENDIAN));
                a1 = a1.add(FloatVector.fromMemorySegment(S, part, i + step, ByteOrder.LITTLE_ENDIAN));
                a2 = a2.add(FloatVector.fromMemorySegment(S, part, i + 2 * step, ByteOrder.LITTLE_ENDIAN));
                a3 = a3.add(FloatVector.fromMemorySegment(S, part, i + 3 * step, ByteOrder.LITTLE_ENDIAN));
            }
        }
        return a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
    }

    @Benchmark
    @Threads(1)
    public float oneThread(Traffic traffic) {
        traffic.gb += SIZE * 1e-9;
        return sum(data, 0, SIZE);
    }

    @Benchmark
    @Threads(2)
    public float twoThreads(Part part, Traffic traffic) {
        long half = SIZE / part.count;
        traffic.gb += half * 1e-9;
        return sum(data, part.index * half, (part.index + 1) * half);
    }
}
