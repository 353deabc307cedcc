package dev.qwen4j.json;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small dependency-free JSON reader and writer.
 *
 * <p>{@link #parse} maps JSON to plain Java values: objects to {@code LinkedHashMap<String, Object>} (key order kept,
 * a repeated key keeps its last value), arrays to {@code ArrayList<Object>}, strings to {@code String}, {@code true}
 * / {@code false} to {@code Boolean}, {@code null} to {@code null}, and numbers to {@code Long} (integers that fit),
 * {@code BigInteger} (larger integers) or {@code Double} (anything with a fraction or exponent).
 *
 * <p>The writers accept those types plus any {@code Map}, {@code Iterable}, array of objects, {@code Number},
 * {@code Character} and {@code CharSequence}. Two layouts:
 * <ul>
 *   <li>{@link #write} — compact ({@code {"a":1,"b":[true,null]}}), the usual wire form;</li>
 *   <li>{@link #writePythonStyle} — what Python's {@code json.dumps(x, ensure_ascii=False)} prints:
 *       {@code ", "} and {@code ": "} separators and floats in Python {@code repr} form ({@code 1.0}, {@code 1e-05}).
 *       Chat templates serialise tools and tool-call arguments this way (QWEN_SPEC.md §6), so a prompt rendered in
 *       Java matches the Hugging Face rendering byte for byte.</li>
 * </ul>
 * Both leave non-ASCII characters unescaped and escape {@code "}, {@code \}, and control characters below U+0020.
 */
public final class Json {
    private static final int MAX_DEPTH = 512;

    private Json() {
    }

    /** Parses one JSON value; leading/trailing whitespace is allowed, anything else after the value is an error. */
    public static Object parse(String text) {
        Parser p = new Parser(text);
        p.skipWhitespace();
        Object value = p.value(0);
        p.skipWhitespace();
        if (p.pos != text.length()) throw new JsonException("unexpected text after the JSON value", p.pos);
        return value;
    }

    /** Parses a JSON object (error if the text is another kind of value). */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) {
        Object v = parse(text);
        if (v instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw new JsonException("expected a JSON object, found " + kind(v), 0);
    }

    /** Compact JSON: no spaces. */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        new Writer(sb, false).value(value, 0);
        return sb.toString();
    }

    /** JSON as Python's {@code json.dumps(value, ensure_ascii=False)} prints it (see the class comment). */
    public static String writePythonStyle(Object value) {
        StringBuilder sb = new StringBuilder();
        new Writer(sb, true).value(value, 0);
        return sb.toString();
    }

    /** A JSON string literal for {@code s}, quotes included. */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2);
        Writer.string(sb, s);
        return sb.toString();
    }

    /**
     * Python's {@code repr(float)}: the shortest digits that round-trip (as {@link Double#toString} gives since
     * JDK 19), in fixed notation for decimal exponents −4..15 and as {@code d.ddde±XX} otherwise.
     */
    public static String pythonFloat(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
        BigDecimal exact = shortestDecimal(Math.abs(d));
        String digits = exact.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - exact.scale(); // position of the first digit
        String sign = d < 0 ? "-" : "";
        if (exponent >= -4 && exponent < 16) {
            String plain = exact.abs().toPlainString();
            if (!plain.contains(".")) plain += ".0";
            return sign + plain;
        }
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        String exp = String.format("%02d", Math.abs(exponent));
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + exp;
    }

    /**
     * The shortest decimal that reads back as {@code d} (closest one on ties). {@link Double#toString} is shortest
     * except that it never prints fewer than two significant digits ({@code 4.9E-324} where Python says
     * {@code 5e-324}), so one-digit candidates are checked here.
     */
    private static BigDecimal shortestDecimal(double d) {
        BigDecimal jdk = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        if (jdk.precision() != 2) return jdk;
        BigDecimal exactValue = new BigDecimal(d);
        BigDecimal best = null;
        for (RoundingMode mode : new RoundingMode[] {RoundingMode.FLOOR, RoundingMode.CEILING}) {
            BigDecimal candidate = jdk.round(new MathContext(1, mode));
            if (candidate.signum() == 0 || Double.parseDouble(candidate.toString()) != d) continue;
            if (best == null || candidate.subtract(exactValue).abs().compareTo(best.subtract(exactValue).abs()) < 0) best = candidate;
        }
        return best == null ? jdk : best.stripTrailingZeros();
    }

    private static String kind(Object v) {
        return switch (v) {
            case null -> "null";
            case String s -> "a string";
            case List<?> l -> "an array";
            case Boolean b -> "a boolean";
            case Number n -> "a number";
            default -> v.getClass().getSimpleName();
        };
    }

    private static final class Parser {
        final String s;
        int pos;

        Parser(String s) {
            this.s = s;
        }

        void skipWhitespace() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r') pos++;
                else break;
            }
        }

        Object value(int depth) {
            if (depth > MAX_DEPTH) throw new JsonException("nesting deeper than " + MAX_DEPTH, pos);
            if (pos >= s.length()) throw new JsonException("unexpected end of input", pos);
            char c = s.charAt(pos);
            return switch (c) {
                case '{' -> object(depth);
                case '[' -> array(depth);
                case '"' -> string();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) yield number();
                    throw new JsonException("unexpected character '" + c + "'", pos);
                }
            };
        }

        private Object literal(String word, Object value) {
            if (!s.startsWith(word, pos)) throw new JsonException("invalid literal (expected " + word + ")", pos);
            pos += word.length();
            return value;
        }

        private Map<String, Object> object(int depth) {
            pos++; // {
            Map<String, Object> map = new LinkedHashMap<>();
            skipWhitespace();
            if (peek() == '}') {
                pos++;
                return map;
            }
            while (true) {
                skipWhitespace();
                if (peek() != '"') throw new JsonException("expected a string key", pos);
                String key = string();
                skipWhitespace();
                expect(':');
                skipWhitespace();
                map.put(key, value(depth + 1));
                skipWhitespace();
                char c = peek();
                pos++;
                if (c == '}') return map;
                if (c != ',') throw new JsonException("expected ',' or '}' in object", pos - 1);
            }
        }

        private List<Object> array(int depth) {
            pos++; // [
            List<Object> list = new ArrayList<>();
            skipWhitespace();
            if (peek() == ']') {
                pos++;
                return list;
            }
            while (true) {
                skipWhitespace();
                list.add(value(depth + 1));
                skipWhitespace();
                char c = peek();
                pos++;
                if (c == ']') return list;
                if (c != ',') throw new JsonException("expected ',' or ']' in array", pos - 1);
            }
        }

        private String string() {
            pos++; // opening quote
            StringBuilder sb = null;
            int start = pos;
            while (true) {
                if (pos >= s.length()) throw new JsonException("unterminated string", start - 1);
                char c = s.charAt(pos);
                if (c == '"') {
                    String out = sb == null ? s.substring(start, pos) : sb.append(s, start, pos).toString();
                    pos++;
                    return out;
                }
                if (c < 0x20) throw new JsonException("control character in string", pos);
                if (c != '\\') {
                    pos++;
                    continue;
                }
                if (sb == null) sb = new StringBuilder();
                sb.append(s, start, pos);
                pos++;
                if (pos >= s.length()) throw new JsonException("unterminated escape", pos);
                char e = s.charAt(pos++);
                switch (e) {
                    case '"' -> sb.append('"');
                    case '\\' -> sb.append('\\');
                    case '/' -> sb.append('/');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        if (pos + 4 > s.length()) throw new JsonException("truncated \\u escape", pos);
                        int cp = 0;
                        for (int i = 0; i < 4; i++) {
                            int h = Character.digit(s.charAt(pos + i), 16);
                            if (h < 0) throw new JsonException("bad hex digit in \\u escape", pos + i);
                            cp = cp * 16 + h;
                        }
                        pos += 4;
                        sb.append((char) cp); // surrogate pairs arrive as two escapes and join naturally
                    }
                    default -> throw new JsonException("invalid escape '\\" + e + "'", pos - 1);
                }
                start = pos;
            }
        }

        private Number number() {
            int start = pos;
            if (peek() == '-') pos++;
            if (peek() == '0') pos++;
            else if (isDigit(peek())) while (isDigit(peek())) pos++;
            else throw new JsonException("invalid number", start);
            boolean integral = true;
            if (peek() == '.') {
                integral = false;
                pos++;
                if (!isDigit(peek())) throw new JsonException("digit expected after '.'", pos);
                while (isDigit(peek())) pos++;
            }
            if (peek() == 'e' || peek() == 'E') {
                integral = false;
                pos++;
                if (peek() == '+' || peek() == '-') pos++;
                if (!isDigit(peek())) throw new JsonException("digit expected in exponent", pos);
                while (isDigit(peek())) pos++;
            }
            String text = s.substring(start, pos);
            if (!integral) return Double.parseDouble(text);
            if (text.length() < 19) return Long.parseLong(text);
            BigInteger big = new BigInteger(text);
            return big.bitLength() < 64 ? (Number) big.longValue() : big;
        }

        private char peek() {
            return pos < s.length() ? s.charAt(pos) : '\0';
        }

        private void expect(char c) {
            if (peek() != c) throw new JsonException("expected '" + c + "'", pos);
            pos++;
        }

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }
    }

    private record Writer(StringBuilder sb, boolean python) {
        void value(Object v, int depth) {
            if (depth > MAX_DEPTH) throw new IllegalArgumentException("value nested deeper than " + MAX_DEPTH + " (a cycle?)");
            switch (v) {
                case null -> sb.append("null");
                case CharSequence cs -> string(sb, cs.toString());
                case Character c -> string(sb, c.toString());
                case Boolean b -> sb.append(b ? "true" : "false");
                case Double d -> floating(d);
                case Float f -> floating(f.doubleValue());
                case BigDecimal bd -> sb.append(bd.toString());
                case Number n -> sb.append(n.toString());
                case Map<?, ?> map -> {
                    sb.append('{');
                    boolean first = true;
                    for (Map.Entry<?, ?> e : map.entrySet()) {
                        if (!first) sb.append(python ? ", " : ",");
                        first = false;
                        string(sb, String.valueOf(e.getKey()));
                        sb.append(python ? ": " : ":");
                        value(e.getValue(), depth + 1);
                    }
                    sb.append('}');
                }
                case Iterable<?> it -> {
                    sb.append('[');
                    boolean first = true;
                    for (Object o : it) {
                        if (!first) sb.append(python ? ", " : ",");
                        first = false;
                        value(o, depth + 1);
                    }
                    sb.append(']');
                }
                case Object[] arr -> value(java.util.Arrays.asList(arr), depth);
                default -> throw new IllegalArgumentException("cannot write " + v.getClass().getName() + " as JSON");
            }
        }

        private void floating(double d) {
            if (python) {
                sb.append(pythonFloat(d));
            } else if (Double.isNaN(d) || Double.isInfinite(d)) {
                sb.append("null"); // strict JSON has no NaN/Infinity
            } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                sb.append((long) d).append(".0");
            } else {
                sb.append(Double.toString(d));
            }
        }

        static void string(StringBuilder sb, String s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    case '\b' -> sb.append("\\b");
                    case '\f' -> sb.append("\\f");
                    default -> {
                        if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                        else sb.append(c);
                    }
                }
            }
            sb.append('"');
        }
    }
}
