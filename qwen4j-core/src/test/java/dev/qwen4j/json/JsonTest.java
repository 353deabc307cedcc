package dev.qwen4j.json;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {

    @Test
    void parsesEveryValueKindKeepingKeyOrder() {
        Object v = Json.parse(" {\"z\": 1, \"a\": [true, false, null, \"s\"], \"f\": -2.5e1, \"o\": {}} ");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of("z", "a", "f", "o"), List.copyOf(m.keySet()));
        assertEquals(1L, m.get("z"));
        List<?> a = (List<?>) m.get("a");
        assertEquals(true, a.get(0));
        assertEquals(false, a.get(1));
        assertNull(a.get(2));
        assertEquals("s", a.get(3));
        assertEquals(-25.0, m.get("f"));
        assertEquals(Map.of(), m.get("o"));
    }

    @Test
    void integersTooLargeForLongBecomeBigInteger() {
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(new BigInteger("92233720368547758070"), Json.parse("92233720368547758070"));
        assertEquals(-0L, Json.parse("-0"));
    }

    @Test
    void decodesEscapesIncludingSurrogatePairs() {
        assertEquals("a\"b\\c/\b\f\n\r\t\u00e9\uD83D\uDE00", Json.parse("\"a\\\"b\\\\c\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\""));
    }

    @Test
    void rejectsMalformedInputWithOffset() {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse("{\"a\": tru}"));
        assertEquals(6, e.offset());
        assertThrows(JsonException.class, () -> Json.parse("[1, 2"));
        assertThrows(JsonException.class, () -> Json.parse("{\"a\" 1}"));
        assertThrows(JsonException.class, () -> Json.parse("01"));
        assertThrows(JsonException.class, () -> Json.parse("\"unterminated"));
        assertThrows(JsonException.class, () -> Json.parse("1 2"));
        assertThrows(JsonException.class, () -> Json.parse(""));
        assertThrows(JsonException.class, () -> Json.parse("\"tab\there\""));
        assertThrows(JsonException.class, () -> Json.parseObject("[1]"));
    }

    @Test
    void rejectsAbsurdNestingInsteadOfOverflowingTheStack() {
        assertThrows(JsonException.class, () -> Json.parse("[".repeat(100_000)));
    }

    @Test
    void compactWriterEscapesAndKeepsUnicode() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("text", "line\n\"q\" \\ \u0001 é 你好");
        m.put("list", List.of(1, 2.5, true));
        m.put("none", null);
        assertEquals("{\"text\":\"line\\n\\\"q\\\" \\\\ \\u0001 é 你好\",\"list\":[1,2.5,true],\"none\":null}", Json.write(m));
    }

    @Test
    void pythonStyleMatchesJsonDumps() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", 1);
        m.put("b", List.of(1.0, 1e-05, 0.0001, 1e16, 123.456, -0.0));
        m.put("c", Map.of("x", false));
        // json.dumps({"a": 1, "b": [1.0, 1e-05, 0.0001, 1e16, 123.456, -0.0], "c": {"x": False}}, ensure_ascii=False)
        assertEquals("{\"a\": 1, \"b\": [1.0, 1e-05, 0.0001, 1e+16, 123.456, -0.0], \"c\": {\"x\": false}}",
                Json.writePythonStyle(m));
    }

    @Test
    void pythonFloatReprEdgeCases() {
        assertEquals("3.0", Json.pythonFloat(3.0));
        assertEquals("0.1", Json.pythonFloat(0.1));
        assertEquals("1e-05", Json.pythonFloat(0.00001));
        assertEquals("1.5e-07", Json.pythonFloat(1.5e-7));
        assertEquals("1234567890123456.0", Json.pythonFloat(1234567890123456.0));
        assertEquals("1.2345678901234568e+16", Json.pythonFloat(12345678901234567.0));
        assertEquals("1.7976931348623157e+308", Json.pythonFloat(Double.MAX_VALUE));
        assertEquals("5e-324", Json.pythonFloat(Double.MIN_VALUE));
        assertEquals("-2.5", Json.pythonFloat(-2.5));
    }

    @Test
    void roundTripsThroughWriteAndParse() {
        String text = "{\"k\":[{\"n\":-12,\"d\":0.5,\"s\":\"\\u0000x\"}],\"e\":[]}";
        assertEquals(text, Json.write(Json.parse(text)));
        assertTrue(Json.quote("a\"b").equals("\"a\\\"b\""));
    }
}
