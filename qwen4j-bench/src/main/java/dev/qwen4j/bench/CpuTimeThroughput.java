package dev.qwen4j.bench;

import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.tensor.Kernels;
import dev.qwen4j.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * Single-thread kernel throughput measured against the thread's CPU time instead of the wall clock: on a shared
 * machine (other processes competing for the cores) this still shows what one core achieves while it runs.
 * Prints weight gigabytes per CPU-second for each type (bytes of the weight tensor per call, so a batch of b
 * vectors does b times the arithmetic), for each batch size, plus a streaming read of 1 GiB for comparison.
 *
 * <p>Usage: {@code qwen4j-bench/run --cpu-time [rows columns [types [batches [implementations]]]]}, default
 * 248320 1024, the main types, batches 1,8 and implementations VECTOR,PORTABLE.
 */
public final class CpuTimeThroughput {
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();

    private CpuTimeThroughput() {
    }

    public static void main(String[] args) {
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 248320;
        int columns = args.length > 2 ? Integer.parseInt(args[2]) : 1024;
        String types = args.length > 3 ? args[3] : "Q8_0,Q4_0,Q4_K,Q5_K,Q6_K,F16,BF16,F32,IQ4_NL,IQ4_XS,Q5_0,Q4_1";
        String batches = args.length > 4 ? args[4] : "1,8";
        String impls = args.length > 5 ? args[5] : "VECTOR,PORTABLE";
        System.out.printf("streaming read, 1 thread: %.1f GB/s per CPU-second%n", streamingRead());
        for (String impl : impls.split(",")) {
            try (Kernels kernels = Kernels.create(1, Kernels.Implementation.valueOf(impl))) {
                for (String name : types.split(",")) {
                    if (impl.equals("PORTABLE") && !name.matches("Q8_0|Q4_0|Q4_K|Q6_K|F16")) continue;
                    GgmlType type = GgmlType.valueOf(name);
                    try (Arena arena = Arena.ofShared()) {
                        Tensor w = BenchWeights.random(arena, type, rows, columns, 1);
                        kernels.prepare(java.util.List.of(w));
                        StringBuilder line = new StringBuilder();
                        for (String b : batches.split(",")) {
                            int batch = Integer.parseInt(b);
                            line.append(String.format("  batch %d %6.2f", batch, perCpuSecond(kernels, w, batch)));
                        }
                        System.out.printf("%-10s %-6s %dx%d:%s GB/s of weights per CPU-second%n",
                                kernels.implementation(), type, rows, columns, line);
                    }
                }
            }
        }
    }

    private static double perCpuSecond(Kernels kernels, Tensor w, int batch) {
        Random r = new Random(3);
        float[] x = new float[w.rowLength() * batch];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        float[] out = new float[Math.toIntExact(w.rows()) * batch];
        double best = 0;
        for (int rep = 0; rep < 5; rep++) {
            long start = MX.getCurrentThreadCpuTime();
            int calls = 0;
            while (MX.getCurrentThreadCpuTime() - start < 400_000_000L) {
                kernels.matmul(w, x, batch, out);
                calls++;
            }
            double seconds = (MX.getCurrentThreadCpuTime() - start) * 1e-9;
            best = Math.max(best, calls * (double) w.byteSize() / seconds * 1e-9);
        }
        return best;
    }

    private static double streamingRead() {
        VectorSpecies<Float> s = FloatVector.SPECIES_PREFERRED;
        long size = 1L << 30;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment seg = arena.allocate(size, 64);
            seg.fill((byte) 1);
            double best = 0;
            float sink = 0;
            for (int rep = 0; rep < 5; rep++) {
                long start = MX.getCurrentThreadCpuTime();
                FloatVector a0 = FloatVector.zero(s), a1 = a0;
                for (long i = 0; i < size; i += 2L * s.vectorByteSize()) {
                    a0 = a0.add(FloatVector.fromMemorySegment(s, seg, i, ByteOrder.LITTLE_ENDIAN));
                    a1 = a1.add(FloatVector.fromMemorySegment(s, seg, i + s.vectorByteSize(), ByteOrder.LITTLE_ENDIAN));
                }
                sink += a0.add(a1).reduceLanes(VectorOperators.ADD);
                best = Math.max(best, size / ((MX.getCurrentThreadCpuTime() - start) * 1e-9) * 1e-9);
            }
            if (sink == 42) System.out.print("");
            return best;
        }
    }
}
