package dev.qwen4j.bench;

import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.tensor.Kernels;
import dev.qwen4j.tensor.Tensor;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.Arena;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Matrix × vector (decode) and matrix × 8 vectors (prompt batch) on off-heap random weights. Besides ops/s,
 * the secondary metric {@code gb} is gigabytes of weight bytes read per second (= weight bytes × ops/s).
 * Shapes are rows × columns: 1024×6144 (an FFN down projection; fits in the L3 cache) and 248320×1024 (the
 * Qwen3.5 tied LM head; streamed from memory).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class MatvecBenchmark {

    @Param({"Q8_0", "Q4_0", "Q4_K", "Q6_K", "F16"})
    public String type;

    @Param({"1024x6144", "248320x1024"})
    public String shape;

    @Param({"2"})
    public int threads;

    /** auto, portable or vector. */
    @Param({"auto"})
    public String impl;

    private Arena arena;
    private Kernels kernels;
    private Tensor weights;
    private float[] x;
    private float[] out;
    private float[] xBatch;
    private float[] outBatch;
    long weightBytes;

    /** Gigabytes of weights read, normalized by JMH to GB/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Traffic {
        public double gb;

        @Setup(Level.Iteration)
        public void reset() {
            gb = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        String[] dims = shape.split("x");
        int rows = Integer.parseInt(dims[0]);
        int columns = Integer.parseInt(dims[1]);
        arena = Arena.ofShared();
        weights = BenchWeights.random(arena, GgmlType.valueOf(type), rows, columns, 1);
        weightBytes = weights.byteSize();
        kernels = Kernels.create(threads, Kernels.Implementation.valueOf(impl.toUpperCase()));
        kernels.prepare(java.util.List.of(weights));
        Random r = new Random(2);
        x = new float[columns];
        for (int i = 0; i < columns; i++) x[i] = (float) r.nextGaussian();
        out = new float[rows];
        xBatch = new float[8 * columns];
        for (int i = 0; i < xBatch.length; i++) xBatch[i] = (float) r.nextGaussian();
        outBatch = new float[8 * rows];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        kernels.close();
        arena.close();
    }

    @Benchmark
    public float[] matvec(Traffic traffic) {
        kernels.matvec(weights, x, out);
        traffic.gb += weightBytes * 1e-9;
        return out;
    }

    /** Eight tokens at once: the weights are still read once, so GB/s here is weight bytes per batch call. */
    @Benchmark
    public float[] matmul8(Traffic traffic) {
        kernels.matmul(weights, xBatch, 8, outBatch);
        traffic.gb += weightBytes * 1e-9;
        return outBatch;
    }
}
