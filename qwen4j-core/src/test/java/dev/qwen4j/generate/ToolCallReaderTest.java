package dev.qwen4j.generate;

import dev.qwen4j.chat.ChatTemplate.ToolCallFormat;
import dev.qwen4j.chat.ToolCall;
import dev.qwen4j.chat.ToolDefinition;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ToolCallReaderTest {

    @Test
    void readsQwen35XmlCallsWithTypedValues() {
        // QWEN_SPEC.md §6.4.13, the text between the tags
        ToolCall call = new ToolCallReader(ToolCallFormat.XML, List.of()).parse(
                "\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n<parameter=days>\n3\n</parameter>\n"
                        + "<parameter=verbose>\nTrue\n</parameter>\n<parameter=note>\ntwo\nlines\n</parameter>\n</function>\n");
        assertEquals("get_weather", call.name());
        assertEquals(Map.of("city", "Paris", "days", 3L, "verbose", true, "note", "two\nlines"), call.arguments());
    }

    @Test
    void theToolsSchemaDecidesAValuesType() {
        ToolDefinition lookup = new ToolDefinition("lookup", "Find a place.", Map.of("type", "object",
                "properties", Map.of("zip", Map.of("type", "string"))));
        String raw = "\n<function=lookup>\n<parameter=zip>\n75001\n</parameter>\n</function>\n";
        assertEquals(Map.of("zip", "75001"), new ToolCallReader(ToolCallFormat.XML, List.of(lookup)).parse(raw).arguments());
        assertEquals(Map.of("zip", 75001L), new ToolCallReader(ToolCallFormat.XML, List.of()).parse(raw).arguments());
    }

    @Test
    void readsQwen3JsonCalls() {
        ToolCall call = new ToolCallReader(ToolCallFormat.JSON, List.of()).parse("\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n");
        assertEquals("get_weather", call.name());
        assertEquals(Map.of("city", "Paris"), call.arguments());
    }

    @Test
    void malformedCallsAreNotCalls() {
        assertNull(new ToolCallReader(ToolCallFormat.JSON, List.of()).parse("{\"name\": "));
        assertNull(new ToolCallReader(ToolCallFormat.XML, List.of()).parse("just some words"));
    }

    /** Byte tokens 0..255 plus {@code <tool_call>} = 256 and {@code </tool_call>} = 257. */
    private static final Vocabulary BYTES = new Vocabulary() {
        @Override
        public int size() {
            return 258;
        }

        @Override
        public byte[] bytes(int token) {
            return token < 256 ? new byte[]{(byte) token} : (token == 256 ? "<tool_call>" : "</tool_call>").getBytes();
        }

        @Override
        public int[] encode(String text) {
            byte[] b = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            int[] ids = new int[b.length];
            for (int i = 0; i < b.length; i++) ids[i] = b[i] & 0xff;
            return ids;
        }

        @Override
        public boolean isEndOfGeneration(int token) {
            return false;
        }

        @Override
        public int specialToken(String text) {
            return switch (text) {
                case "<tool_call>" -> 256;
                case "</tool_call>" -> 257;
                default -> -1;
            };
        }
    };

    private static OutputRouter router(List<GenerationEvent> events) {
        return new OutputRouter(BYTES, true, false, List.of(), new ToolCallReader(ToolCallFormat.JSON, List.of()), events::add);
    }

    @Test
    void streamedToolCallsBecomeEventsAndTheTextAroundStaysText() {
        List<GenerationEvent> events = new ArrayList<>();
        OutputRouter router = router(events);
        for (int t : BYTES.encode("Let me check.\n\n")) router.accept(t);
        router.accept(256);
        for (int t : BYTES.encode("\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n")) router.accept(t);
        router.accept(257);
        router.finish();
        assertEquals("Let me check.\n\n", router.text());
        assertEquals(List.of(new ToolCall("get_weather", Map.of("city", "Paris"))), router.toolCalls());
        assertTrue(events.stream().noneMatch(e -> e instanceof GenerationEvent.Text t && t.text().contains("get_weather")),
                "the call's text is not streamed as answer text");
        assertTrue(events.getLast() instanceof GenerationEvent.ToolCallEvent);
    }

    @Test
    void aMalformedOrUnfinishedToolCallStaysVisibleAsText() {
        OutputRouter broken = router(new ArrayList<>());
        broken.accept(256);
        for (int t : BYTES.encode("{oops")) broken.accept(t);
        broken.accept(257);
        broken.finish();
        assertEquals("<tool_call>{oops</tool_call>", broken.text());
        assertTrue(broken.toolCalls().isEmpty());

        OutputRouter unfinished = router(new ArrayList<>());
        unfinished.accept(256);
        for (int t : BYTES.encode("{\"name\"")) unfinished.accept(t);
        unfinished.finish();
        assertEquals("<tool_call>{\"name\"", unfinished.text());
    }
}
