package dev.qwen4j.gguf;

import java.util.Arrays;

/**
 * One metadata value. Scalars are boxed Java values (unsigned integers widened so they stay non-negative:
 * UINT8→Short, UINT16→Integer, UINT32→Long, UINT64→Long with its bits); arrays are primitive arrays of the element
 * type (byte[], short[], int[], long[], float[], double[], boolean[], String[]), the element type in
 * {@code elementType}.
 */
public record GgufValue(GgufValueType type, GgufValueType elementType, Object value) {

    public static GgufValue of(GgufValueType type, Object value) {
        return new GgufValue(type, null, value);
    }

    public static GgufValue array(GgufValueType elementType, Object array) {
        return new GgufValue(GgufValueType.ARRAY, elementType, array);
    }

    public static GgufValue string(String s) {
        return of(GgufValueType.STRING, s);
    }

    public static GgufValue uint32(long v) {
        return of(GgufValueType.UINT32, v);
    }

    public static GgufValue int32(int v) {
        return of(GgufValueType.INT32, v);
    }

    public static GgufValue float32(float v) {
        return of(GgufValueType.FLOAT32, v);
    }

    public static GgufValue bool(boolean v) {
        return of(GgufValueType.BOOL, v);
    }

    public static GgufValue strings(String... v) {
        return array(GgufValueType.STRING, v);
    }

    public static GgufValue int32s(int... v) {
        return array(GgufValueType.INT32, v);
    }

    public static GgufValue float32s(float... v) {
        return array(GgufValueType.FLOAT32, v);
    }

    public boolean isArray() {
        return type == GgufValueType.ARRAY;
    }

    public int arrayLength() {
        return isArray() ? java.lang.reflect.Array.getLength(value) : -1;
    }

    /** Short text for listings: scalars as they are, arrays as "[type × n]". */
    public String summary() {
        if (isArray()) return "[" + elementType.name().toLowerCase() + " × " + arrayLength() + "]";
        if (value instanceof String s) {
            String oneLine = s.replace("\n", "\\n");
            return oneLine.length() > 60 ? '"' + oneLine.substring(0, 57) + "...\" (" + s.length() + " chars)" : '"' + oneLine + '"';
        }
        return String.valueOf(value);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof GgufValue v) || type != v.type || elementType != v.elementType) return false;
        return value.getClass().isArray() ? Arrays.deepEquals(new Object[]{value}, new Object[]{v.value}) : value.equals(v.value);
    }

    @Override
    public int hashCode() {
        return type.hashCode();
    }
}
