package dev.qwen4j.tensor;

/**
 * The ggml tensor types qwen4j knows, with their block geometry (QWEN_SPEC.md §1.2).
 * A block of {@code blockSize} elements occupies {@code typeSize} bytes; quantization blocks run along the row.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),
    Q4_1(3, 32, 20),
    Q5_0(6, 32, 22),
    Q5_1(7, 32, 24),
    Q8_0(8, 32, 34),
    Q8_1(9, 32, 36),
    Q2_K(10, 256, 84),
    Q3_K(11, 256, 110),
    Q4_K(12, 256, 144),
    Q5_K(13, 256, 176),
    Q6_K(14, 256, 210),
    Q8_K(15, 256, 292),
    IQ4_NL(20, 32, 18),
    IQ4_XS(23, 256, 136),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    BF16(30, 1, 2);

    private static final GgmlType[] BY_ID = new GgmlType[64];

    static {
        for (GgmlType t : values()) BY_ID[t.id] = t;
    }

    public final int id;
    public final int blockSize;
    public final int typeSize;

    GgmlType(int id, int blockSize, int typeSize) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
    }

    /** The type with this ggml id, or {@code null} if qwen4j does not know it (retired or out-of-scope ids). */
    public static GgmlType fromId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }

    /** True for block-quantized types (everything whose block holds more than one element). */
    public boolean isQuantized() {
        return blockSize > 1;
    }

    /** Bytes of one row of {@code n} elements; {@code n} must be a multiple of the block size. */
    public long rowBytes(long n) {
        if (n % blockSize != 0) {
            throw new IllegalArgumentException(this + " rows must be a multiple of " + blockSize + " elements, got " + n);
        }
        return n / blockSize * typeSize;
    }
}
