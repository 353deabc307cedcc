package dev.qwen4j.gguf;

import java.util.Arrays;

/**
 * One metadata value. Scalars are boxed Java values (unsigned integers widened so they stay non-negative:
 * UINT8→Short, UINT16→Integer, UINT32→Long, UINT64→Long with its bits); arrays are primitive arrays of the element
 * type (byte[], short[], int[], long[], float[], double[], boolean[], String[]), the element type in
 * {@code elementType}.
 */
public record GgufValue(GgufValueType type, GgufValueType elementType, Object value) {

    /** Rejects a value its type cannot encode, so a writer never fails half-way through a file. */
    public GgufValue {
        java.util.Objects.requireNonNull(type, "type");
        java.util.Objects.requireNonNull(value, "value");
        if (type == GgufValueType.ARRAY) {
            if (elementType == null || elementType == GgufValueType.ARRAY) {
                throw new IllegalArgumentException("array element type must be a scalar type or STRING, got " + elementType);
            }
            checkArray(elementType, value);
        } else {
            if (elementType != null) throw new IllegalArgumentException(type + " value cannot have an element type");
            checkScalar(type, value);
        }
    }

    private static void checkScalar(GgufValueType type, Object value) {
        boolean ok = switch (type) {
            case UINT8 -> isInteger(value) && inRange(value, 0, 0xFF);
            case INT8 -> isInteger(value) && inRange(value, Byte.MIN_VALUE, Byte.MAX_VALUE);
            case UINT16 -> isInteger(value) && inRange(value, 0, 0xFFFF);
            case INT16 -> isInteger(value) && inRange(value, Short.MIN_VALUE, Short.MAX_VALUE);
            case UINT32 -> isInteger(value) && inRange(value, 0, 0xFFFF_FFFFL);
            case INT32 -> isInteger(value) && inRange(value, Integer.MIN_VALUE, Integer.MAX_VALUE);
            case UINT64, INT64 -> isInteger(value); // UINT64 keeps its 64 bits in a (possibly negative) long
            case FLOAT32, FLOAT64 -> value instanceof Float || value instanceof Double;
            case BOOL -> value instanceof Boolean;
            case STRING -> value instanceof String;
            case ARRAY -> false;
        };
        if (!ok) {
            throw new IllegalArgumentException(type + " cannot hold " + value.getClass().getSimpleName() + " " + value);
        }
    }

    private static void checkArray(GgufValueType elementType, Object value) {
        boolean ok = switch (elementType) {
            case UINT8, INT8 -> value instanceof byte[];
            case UINT16, INT16 -> value instanceof short[];
            case UINT32 -> value instanceof int[] || value instanceof long[] l && java.util.Arrays.stream(l).allMatch(x -> x >= 0 && x <= 0xFFFF_FFFFL);
            case INT32 -> value instanceof int[];
            case UINT64, INT64 -> value instanceof long[];
            case FLOAT32 -> value instanceof float[];
            case FLOAT64 -> value instanceof double[];
            case BOOL -> value instanceof boolean[];
            case STRING -> value instanceof String[] a && java.util.Arrays.stream(a).allMatch(java.util.Objects::nonNull);
            case ARRAY -> false;
        };
        if (!ok) {
            throw new IllegalArgumentException("array of " + elementType + " cannot be stored in a " + value.getClass().getSimpleName()
                    + " (or holds a value out of range)");
        }
    }

    private static boolean isInteger(Object v) {
        return v instanceof Byte || v instanceof Short || v instanceof Integer || v instanceof Long;
    }

    private static boolean inRange(Object v, long min, long max) {
        long x = ((Number) v).longValue();
        return x >= min && x <= max;
    }

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
            String oneLine = escapeControls(s.length() > 200 ? s.substring(0, 200) : s);
            return oneLine.length() > 60 ? '"' + oneLine.substring(0, 57) + "...\" (" + s.length() + " chars)" : '"' + oneLine + '"';
        }
        return String.valueOf(value);
    }

    /** Newlines as {@code \n}, other control characters as {@code \xNN}, so a summary is always one printable line. */
    private static String escapeControls(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n') sb.append("\\n");
            else if (c < 0x20 || c == 0x7F) sb.append(String.format("\\x%02x", (int) c));
            else sb.append(c);
        }
        return sb.toString();
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
