package dev.qwen4j.convert;

import dev.qwen4j.gguf.GgufWriter;
import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.tensor.Tensor;
import dev.qwen4j.tensor.quant.RowCodec;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * One output tensor of a conversion: output row {@code r} is source row {@code rowOrder[r]} with its elements
 * taken in {@code columnOrder}, mapped by {@code values}, and encoded as {@code type}. Rows are converted while
 * the file is written, a batch at a time (quantized in parallel), so no whole model is ever on the heap.
 *
 * @param source      the stored tensor (a view of a safetensors or GGUF file), rows in ggml order
 * @param dims        output dims in ggml order; same element count as the source
 * @param rowOrder    source row of each output row, {@code null} for the identity
 * @param columnOrder source column of each output column, {@code null} for the identity
 */
record TensorConversion(String name, Tensor source, long[] dims, GgmlType type, int[] rowOrder, int[] columnOrder,
                        ValueMap values) {

    /** An elementwise change of the stored values. */
    enum ValueMap {
        NONE,
        /** Qwen3.5 zero-centred norm weights {@code w} become plain ones, {@code 1 + w} (QWEN_SPEC.md §2.1). */
        PLUS_ONE,
        /** Qwen3.5 {@code A_log} becomes {@code ssm_a = −exp(A_log)} (§4.8.1). */
        NEG_EXP
    }

    private static final int BATCH_BYTES = 4 << 20;

    long rows() {
        long r = 1;
        for (int i = 1; i < dims.length; i++) r *= dims[i];
        return r;
    }

    private boolean isPlainCopy() {
        return source.type() == type && rowOrder == null && columnOrder == null && values == ValueMap.NONE;
    }

    /** Registers the tensor with the writer; {@code progress} hears one line when its bytes start being written. */
    void addTo(GgufWriter w, String progressLine, Consumer<String> progress) {
        w.addTensor(name, type, dims, out -> {
            progress.accept(progressLine);
            if (isPlainCopy()) copy(source.data(), out);
            else encode(out);
        });
    }

    private static void copy(MemorySegment data, OutputStream out) throws IOException {
        byte[] buf = new byte[1 << 20];
        for (long off = 0; off < data.byteSize(); off += buf.length) {
            int len = (int) Math.min(buf.length, data.byteSize() - off);
            MemorySegment.copy(data, ValueLayout.JAVA_BYTE, off, buf, 0, len);
            out.write(buf, 0, len);
        }
    }

    private void encode(OutputStream out) throws IOException {
        int n = Math.toIntExact(dims[0]);
        long rows = rows();
        int outRowBytes = Math.toIntExact(type.rowBytes(n));
        int batch = (int) Math.max(1, Math.min(rows, BATCH_BYTES / Math.max(outRowBytes, 1)));
        byte[] buf = new byte[batch * outRowBytes];
        MemorySegment bufSeg = MemorySegment.ofArray(buf);
        ThreadLocal<float[][]> scratch = ThreadLocal.withInitial(() -> new float[][] {new float[n], new float[n]});
        for (long first = 0; first < rows; first += batch) {
            int count = (int) Math.min(batch, rows - first);
            long base = first;
            IntStream range = IntStream.range(0, count);
            if (type.isQuantized() && count > 1) range = range.parallel();
            range.forEach(i -> {
                float[][] s = scratch.get();
                convertRow(base + i, s[0], s[1]);
                RowCodec.quantize(type, s[0], 0, n, bufSeg, (long) i * outRowBytes);
            });
            out.write(buf, 0, count * outRowBytes);
        }
    }

    /** Output row {@code r} into {@code row}; {@code tmp} is scratch of the same length. */
    private void convertRow(long r, float[] row, float[] tmp) {
        int n = row.length;
        long src = rowOrder == null ? r : rowOrder[(int) r];
        float[] target = columnOrder == null ? row : tmp;
        RowCodec.dequantize(source.type(), source.data(), src * source.rowBytes(), target, 0, n);
        if (columnOrder != null) for (int c = 0; c < n; c++) row[c] = tmp[columnOrder[c]];
        switch (values) {
            case NONE -> { }
            case PLUS_ONE -> { for (int c = 0; c < n; c++) row[c] = 1 + row[c]; }
            case NEG_EXP -> { for (int c = 0; c < n; c++) row[c] = (float) -Math.exp(row[c]); }
        }
    }

    /** "[  3/120] blk.0.attn_q.weight  BF16 -> Q4_K  [1024x2048]" */
    String describe(int index, int count) {
        StringBuilder shape = new StringBuilder();
        for (long d : dims) shape.append(shape.isEmpty() ? "" : "x").append(d);
        int width = String.valueOf(count).length();
        return String.format("[%" + width + "d/%d] %-32s %-5s -> %-5s [%s]", index, count, name, source.type(), type, shape);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(dims);
    }
}
