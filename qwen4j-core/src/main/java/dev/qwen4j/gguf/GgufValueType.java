package dev.qwen4j.gguf;

/** Metadata value types (QWEN_SPEC.md §1.1.2), with their encoded size where it is fixed. */
public enum GgufValueType {
    UINT8(1), INT8(1), UINT16(2), INT16(2), UINT32(4), INT32(4), FLOAT32(4), BOOL(1), STRING(-1), ARRAY(-1),
    UINT64(8), INT64(8), FLOAT64(8);

    /** Encoded bytes per value, or -1 for variable length. */
    public final int size;

    GgufValueType(int size) {
        this.size = size;
    }

    public static GgufValueType fromId(long id) {
        return id >= 0 && id < values().length ? values()[(int) id] : null;
    }

    public int id() {
        return ordinal();
    }

    /** Smallest encoded size of one element, used to reject absurd array counts before allocating. */
    int minSize() {
        return switch (this) {
            case STRING -> 8;
            case ARRAY -> 12;
            default -> size;
        };
    }
}
