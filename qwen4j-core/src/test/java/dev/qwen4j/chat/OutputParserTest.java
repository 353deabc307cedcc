package dev.qwen4j.chat;

import dev.qwen4j.json.Json;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.qwen4j.chat.ChatTemplate.ToolCallFormat.JSON;
import static dev.qwen4j.chat.ChatTemplate.ToolCallFormat.XML;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OutputParserTest {
    private static final ToolDefinition WEATHER = ToolDefinition.fromOpenAi(Json.parseObject(
            "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"parameters\": {\"type\": \"object\", \"properties\": {"
                    + "\"city\": {\"type\": \"string\"}, \"days\": {\"type\": \"integer\"}, \"temp\": {\"type\": \"number\"},"
                    + "\"verbose\": {\"type\": \"boolean\"}, \"opts\": {\"type\": \"object\"}, \"tags\": {\"type\": \"array\"},"
                    + "\"zip\": {\"type\": \"string\"}, \"limit\": {\"type\": [\"integer\", \"null\"]}}}}}"));
    private static final List<ToolDefinition> TOOLS = List.of(WEATHER);

    private static ParsedOutput parse(String text, ChatTemplate.ToolCallFormat format, boolean startsInReasoning) {
        ParsedOutput whole = OutputParser.parse(text, format, TOOLS, startsInReasoning);
        assertStreamingAgrees(text, format, startsInReasoning, whole);
        return whole;
    }

    /** Any chunking of the output gives the same result, and the events add up to it. */
    private static void assertStreamingAgrees(String text, ChatTemplate.ToolCallFormat format, boolean startsInReasoning, ParsedOutput expected) {
        Random random = new Random(text.hashCode());
        for (int round = 0; round < 12; round++) {
            StringBuilder reasoning = new StringBuilder();
            StringBuilder content = new StringBuilder();
            List<ToolCall> calls = new ArrayList<>();
            OutputParser parser = new OutputParser(format, TOOLS, startsInReasoning, new OutputParser.Listener() {
                @Override
                public void onReasoning(String t) {
                    assertFalse(t.isEmpty());
                    reasoning.append(t);
                }

                @Override
                public void onContent(String t) {
                    assertFalse(t.isEmpty());
                    content.append(t);
                }

                @Override
                public void onToolCall(ToolCall call) {
                    calls.add(call);
                }
            });
            int i = 0;
            while (i < text.length()) {
                int n = round == 0 ? 1 : 1 + random.nextInt(8); // round 0: one character at a time
                int end = Math.min(text.length(), i + n);
                parser.accept(text.substring(i, end));
                i = end;
            }
            ParsedOutput streamed = parser.finish();
            assertEquals(expected, streamed, "chunked round " + round);
            assertEquals(expected.toolCalls(), calls);
            if (expected.problems().stream().noneMatch(p -> p.contains("without <think>"))) {
                assertEquals(expected.reasoning(), reasoning.toString());
                assertEquals(expected.content(), content.toString());
            }
        }
    }

    private static Map<String, Object> args(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) m.put((String) keyValues[i], keyValues[i + 1]);
        return m;
    }

    @Test
    void qwen35ThinkingOutputStartsInsideTheThinkBlock() {
        ParsedOutput out = parse("The user greets me.\nBe brief.\n</think>\n\nHello! How can I help?", XML, true);
        assertEquals("The user greets me.\nBe brief.", out.reasoning());
        assertEquals("Hello! How can I help?", out.content());
        assertTrue(out.toolCalls().isEmpty());
        assertTrue(out.problems().isEmpty());
    }

    @Test
    void nonThinkingOutputIsAllContent() {
        ParsedOutput out = parse("Hello!\n\nSecond paragraph.", XML, false);
        assertEquals("", out.reasoning());
        assertEquals("Hello!\n\nSecond paragraph.", out.content());
    }

    @Test
    void qwen3OpensItsOwnThinkBlock() {
        ParsedOutput out = parse("<think>\nSimple arithmetic.\n</think>\n\n2+2 = 4.", JSON, false);
        assertEquals("Simple arithmetic.", out.reasoning());
        assertEquals("2+2 = 4.", out.content());
        assertTrue(out.problems().isEmpty());
    }

    @Test
    void emptyThinkBlockGivesEmptyReasoning() {
        ParsedOutput out = parse("<think>\n\n</think>\n\nok", JSON, false);
        assertEquals("", out.reasoning());
        assertEquals("ok", out.content());
    }

    @Test
    void missingEndOfThinkingMeansAllReasoningAndNoAnswer() {
        ParsedOutput out = parse("I keep thinking\nand thinking\n", XML, true);
        assertEquals("I keep thinking\nand thinking", out.reasoning());
        assertEquals("", out.content());
    }

    @Test
    void qwen35XmlToolCallAfterReasoning() {
        String output = "The user wants the weather; call the tool.\n</think>\n\n<tool_call>\n<function=get_weather>\n"
                + "<parameter=city>\nParis\n</parameter>\n</function>\n</tool_call>";
        ParsedOutput out = parse(output, XML, true);
        assertEquals("The user wants the weather; call the tool.", out.reasoning());
        assertEquals("", out.content());
        assertEquals(List.of(new ToolCall("get_weather", args("city", "Paris"))), out.toolCalls());
        assertTrue(out.problems().isEmpty(), out.problems().toString());
    }

    @Test
    void xmlValuesAreTypedByTheToolSchema() {
        String output = "<tool_call>\n<function=get_weather>\n"
                + "<parameter=city>\nNew\nYork\n</parameter>\n"
                + "<parameter=days>\n3\n</parameter>\n"
                + "<parameter=temp>\n21.5\n</parameter>\n"
                + "<parameter=verbose>\nTrue\n</parameter>\n"
                + "<parameter=opts>\n{\"a\": 1}\n</parameter>\n"
                + "<parameter=tags>\n[\"x\", 2]\n</parameter>\n"
                + "<parameter=zip>\n00123\n</parameter>\n"
                + "<parameter=limit>\n7\n</parameter>\n"
                + "<parameter=unknown>\n{\"k\": false}\n</parameter>\n"
                + "<parameter=note>\nnot json\n</parameter>\n"
                + "</function>\n</tool_call>";
        ToolCall call = parse(output, XML, false).toolCalls().getFirst();
        assertEquals(args("city", "New\nYork", "days", 3L, "temp", 21.5, "verbose", true, "opts", Map.of("a", 1L),
                "tags", List.of("x", 2L), "zip", "00123", "limit", 7L, "unknown", Map.of("k", false), "note", "not json"), call.arguments());
    }

    @Test
    void badlyTypedValuesFallBackToTheText() {
        assertEquals("three", OutputParser.typed("three", "integer"));
        assertEquals("maybe", OutputParser.typed("maybe", "boolean"));
        assertEquals("{broken", OutputParser.typed("{broken", "object"));
        assertEquals(false, OutputParser.typed("false", "boolean"));
        assertEquals(-4L, OutputParser.typed("-4", "number"));
        assertEquals(1e-5, OutputParser.typed("1e-05", "number"));
    }

    @Test
    void qwen3JsonToolCall() {
        ParsedOutput out = parse("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 2}}\n</tool_call>", JSON, false);
        assertEquals(List.of(new ToolCall("get_weather", args("city", "Paris", "days", 2L))), out.toolCalls());
        assertEquals("", out.content());
        assertTrue(out.problems().isEmpty());
    }

    @Test
    void textBeforeAndBetweenCallsIsContent() {
        String output = "I'll check both.\n\n<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>\n</tool_call>\n"
                + "<tool_call>\n<function=get_weather>\n<parameter=city>\nRome\n</parameter>\n<parameter=days>\n3\n</parameter>\n</function>\n</tool_call>";
        ParsedOutput out = parse(output, XML, false);
        assertEquals("I'll check both.", out.content());
        assertEquals(List.of(new ToolCall("get_weather", args("city", "Paris")), new ToolCall("get_weather", args("city", "Rome", "days", 3L))), out.toolCalls());
    }

    @Test
    void bareFunctionBlockWithoutToolCallTagIsACall() {
        ParsedOutput out = parse("Checking.\n<function=get_weather>\n<parameter=city>\nOslo\n</parameter>\n</function>\n</tool_call>", XML, false);
        assertEquals("Checking.", out.content());
        assertEquals(List.of(new ToolCall("get_weather", args("city", "Oslo"))), out.toolCalls());
        assertEquals(List.of("tool call without <tool_call>"), out.problems());
    }

    @Test
    void jsonCallMissingItsOpeningTagIsRecoveredInTheResult() {
        ParsedOutput out = OutputParser.parse("Let me check.\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>", JSON, TOOLS, false);
        assertEquals("Let me check.", out.content());
        assertEquals(List.of(new ToolCall("get_weather", args("city", "Oslo"))), out.toolCalls());
        assertEquals(List.of("tool call without <tool_call>"), out.problems());
    }

    @Test
    void strayClosingTagWithoutACallIsDropped() {
        ParsedOutput out = parse("just text</tool_call> more", JSON, false);
        assertEquals("just text more", out.content());
        assertEquals(List.of("stray </tool_call>"), out.problems());
    }

    @Test
    void endOfThinkingWithoutOpeningTagReclassifiesTheTextBefore() {
        ParsedOutput out = parse("hidden thoughts\n</think>\n\nanswer", JSON, false);
        assertEquals("hidden thoughts", out.reasoning());
        assertEquals("answer", out.content());
        assertEquals(1, out.problems().size());
    }

    @Test
    void callInsideTheThinkBlockIsStillACall() {
        String output = "<think>\nLet me call it.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Lima\"}}\n</tool_call>\nDone.\n</think>\n\nok";
        ParsedOutput out = parse(output, JSON, false);
        assertEquals(List.of(new ToolCall("get_weather", args("city", "Lima"))), out.toolCalls());
        assertEquals("Let me call it.\nDone.", out.reasoning());
        assertEquals("ok", out.content());
    }

    @Test
    void unterminatedXmlCallAtEndIsRecovered() {
        ParsedOutput out = parse("<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n<parameter=days>\n4", XML, false);
        assertEquals(List.of(new ToolCall("get_weather", args("city", "Paris", "days", 4L))), out.toolCalls());
        assertTrue(out.problems().contains("unterminated tool call at the end of the output"), out.problems().toString());
    }

    @Test
    void unterminatedJsonCallIsClosedAndRecovered() {
        ParsedOutput out = parse("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Par", JSON, false);
        assertEquals(List.of(new ToolCall("get_weather", args("city", "Par"))), out.toolCalls());
        assertFalse(out.problems().isEmpty());
    }

    @Test
    void malformedJsonIsSurfacedAsTextWithoutThrowing() {
        String output = "Sure.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {city: Paris}}\n</tool_call>";
        ParsedOutput out = parse(output, JSON, false);
        assertTrue(out.toolCalls().isEmpty());
        assertEquals("Sure.<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {city: Paris}}\n</tool_call>", out.content());
        assertTrue(out.problems().getFirst().startsWith("malformed tool call JSON"), out.problems().toString());
    }

    @Test
    void jsonArgumentsGivenAsAStringAreParsed() {
        ParsedOutput out = parse("<tool_call>{\"name\": \"f\", \"arguments\": \"{\\\"x\\\": 1}\"}</tool_call>", JSON, false);
        assertEquals(List.of(new ToolCall("f", args("x", 1L))), out.toolCalls());
    }

    @Test
    void eitherSyntaxIsAcceptedInEitherFamily() {
        assertEquals("get_weather", parse("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {}}\n</tool_call>", XML, false).toolCalls().getFirst().name());
        assertEquals("get_weather", parse("<tool_call>\n<function=get_weather>\n</function>\n</tool_call>", JSON, false).toolCalls().getFirst().name());
    }

    @Test
    void garbageNeverThrows() {
        Random random = new Random(7);
        String[] parts = {"<think>", "</think>", "<tool_call>", "</tool_call>", "<function=", "<parameter=", "</parameter>",
                "</function>", "{", "}", "\"", "\n", "x", ">", "<", "name", ":", "get_weather"};
        for (int round = 0; round < 300; round++) {
            StringBuilder sb = new StringBuilder();
            for (int i = random.nextInt(20); i > 0; i--) sb.append(parts[random.nextInt(parts.length)]);
            for (ChatTemplate.ToolCallFormat f : ChatTemplate.ToolCallFormat.values()) {
                ParsedOutput out = OutputParser.parse(sb.toString(), f, TOOLS, random.nextBoolean());
                assertEquals(sb.toString(), out.raw());
            }
        }
    }

    @Test
    void heldBackTextIsReleasedWhenItIsNotATag() {
        List<String> content = new ArrayList<>();
        OutputParser parser = new OutputParser(XML, TOOLS, false, new OutputParser.Listener() {
            @Override
            public void onContent(String t) {
                content.add(t);
            }
        });
        parser.accept("a <");
        assertEquals(List.of("a "), content);      // "<" might start a tag
        parser.accept("b");
        assertEquals(List.of("a ", "<b"), content);
        parser.accept("\n");
        assertEquals(List.of("a ", "<b"), content); // trailing newline held
        parser.accept("c");
        assertEquals(List.of("a ", "<b", "\nc"), content);
    }

    @Test
    void parsedTurnRendersBackAsTheTemplateExpects() {
        String output = "The user wants the weather; call the tool.\n</think>\n\n<tool_call>\n<function=get_weather>\n"
                + "<parameter=city>\nParis\n</parameter>\n<parameter=unit>\ncelsius\n</parameter>\n</function>\n</tool_call>";
        ChatTemplate template = ChatTemplate.qwen35(true);
        OutputParser parser = OutputParser.forPrompt(template, RenderOptions.GENERATE, List.of(), null);
        parser.accept(output);
        ChatMessage turn = parser.finish().toMessage();
        List<ChatMessage> history = List.of(ChatMessage.user("What's the weather in Paris?"), turn);
        String rendered = template.render(history, RenderOptions.HISTORY);
        assertTrue(rendered.endsWith("<|im_start|>assistant\n<think>\n" + output + "<|im_end|>\n"), rendered);
    }
}
