package dev.qwen4j.tensor;

import dev.qwen4j.tensor.quant.RowCodec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The one door models use to compute with weights: "multiply this tensor", "fetch this row".
 * Models never look inside a quantization block (STYLE.md). Which implementation runs (portable Java or Vector
 * API) and how many threads it uses is decided here, once.
 *
 * <p>PLACEHOLDER: a plain single-threaded implementation for F32/F16/BF16/Q8_0 so that model work can start;
 * the kernels work (issue 2) replaces the internals behind this same API.
 */
public final class Kernels implements AutoCloseable {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int threads;

    private Kernels(int threads) {
        this.threads = threads;
    }

    /** Kernels using {@code threads} worker threads (0 = one per available core). */
    public static Kernels create(int threads) {
        return new Kernels(threads <= 0 ? Runtime.getRuntime().availableProcessors() : threads);
    }

    public int threads() {
        return threads;
    }

    /** {@code out[r] = Σ_c W[r][c]·x[c]} for every row r of {@code w} ({@code x.length ≥ w.rowLength()}). */
    public void matvec(Tensor w, float[] x, float[] out) {
        int n = w.rowLength();
        float[] row = new float[n];
        for (long r = 0; r < w.rows(); r++) {
            dequantizeRow(w, r, row, 0);
            float s = 0;
            for (int c = 0; c < n; c++) s += row[c] * x[c];
            out[(int) r] = s;
        }
    }

    /**
     * Batched product for {@code batch} input vectors stored one after another in {@code x} (each
     * {@code w.rowLength()} long): {@code out[b·rows + r] = Σ_c W[r][c]·x[b·in + c]}.
     */
    public void matmul(Tensor w, float[] x, int batch, float[] out) {
        int n = w.rowLength();
        int rows = Math.toIntExact(w.rows());
        float[] row = new float[n];
        for (int r = 0; r < rows; r++) {
            dequantizeRow(w, r, row, 0);
            for (int b = 0; b < batch; b++) {
                float s = 0;
                for (int c = 0; c < n; c++) s += row[c] * x[b * n + c];
                out[b * rows + r] = s;
            }
        }
    }

    /** Row {@code row} of {@code w} as floats into {@code dst[dstOffset ..]} (e.g. an embedding lookup). */
    public void dequantizeRow(Tensor w, long row, float[] dst, int dstOffset) {
        RowCodec.dequantize(w.type(), w.data(), row * w.rowBytes(), dst, dstOffset, w.rowLength());
    }

    /** The whole tensor as floats (small tensors: norms, biases, convolution weights). */
    public float[] toFloats(Tensor w) {
        float[] out = new float[Math.toIntExact(w.elementCount())];
        int n = w.rowLength();
        for (long r = 0; r < w.rows(); r++) dequantizeRow(w, r, out, (int) (r * n));
        return out;
    }

    @Override
    public void close() {
    }
}
