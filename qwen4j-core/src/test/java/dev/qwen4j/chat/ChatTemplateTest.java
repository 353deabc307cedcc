package dev.qwen4j.chat;

import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChatTemplateTest {
    private static final ChatTemplate QWEN35_SMALL = ChatTemplate.qwen35(false); // 0.8B / 2B
    private static final ChatTemplate QWEN35_LARGE = ChatTemplate.qwen35(true);  // 4B / 9B
    private static final ChatTemplate QWEN3 = ChatTemplate.qwen3();

    /** Which template each worked example of §6.4 was rendered with. */
    private static ChatTemplate templateFor(SpecExamples e) {
        String n = e.number();
        return switch (n) {
            case "1", "2", "6" -> QWEN35_SMALL;
            case "3", "4", "5", "7", "8" -> QWEN35_LARGE;
            case "9", "10", "11", "12" -> QWEN3;
            default -> throw new IllegalStateException("unexpected example 6.4." + n);
        };
    }

    @Test
    void everyWorkedExampleOfTheSpecRendersByteExactly() throws IOException {
        List<SpecExamples> examples = SpecExamples.all();
        assertEquals(12, examples.size(), "worked examples 6.4.1 .. 6.4.12");
        List<ToolDefinition> tools = List.of(SpecExamples.getWeather());
        for (SpecExamples e : examples) {
            String actual = templateFor(e).render(e.messages(), e.withTools() ? tools : List.of(), e.options());
            assertEquals(e.expected(), actual, e.toString());
        }
    }

    @Test
    void smallAndLargeQwen35DifferOnlyInTheThinkingDefault() throws IOException {
        List<ChatMessage> messages = List.of(ChatMessage.user("Hi"));
        assertTrue(QWEN35_SMALL.render(messages, RenderOptions.GENERATE).endsWith("<think>\n\n</think>\n\n"));
        assertTrue(QWEN35_LARGE.render(messages, RenderOptions.GENERATE).endsWith("assistant\n<think>\n"));
        assertEquals(QWEN35_SMALL.render(messages, RenderOptions.generate(true)), QWEN35_LARGE.render(messages, RenderOptions.generate(true)));
        assertTrue(QWEN35_LARGE.promptOpensThinking(RenderOptions.GENERATE));
        assertFalse(QWEN35_SMALL.promptOpensThinking(RenderOptions.GENERATE));
        assertFalse(QWEN3.promptOpensThinking(RenderOptions.GENERATE));
    }

    @Test
    void detectsTheFamilyFromTheFixtureModelsTemplates() throws IOException {
        ChatTemplate qwen35 = detect("qwen35-micro-F32.gguf");
        assertInstanceOf(Qwen35Template.class, qwen35);
        assertTrue(qwen35.thinksByDefault(), "the fixture carries the 4B template");
        assertInstanceOf(Qwen3Template.class, detect("qwen3-micro-F32.gguf"));
        assertInstanceOf(Qwen25Template.class, detect("qwen2-micro-F32.gguf"));
        assertEquals(ChatTemplate.ToolCallFormat.XML, qwen35.toolCallFormat());
        assertEquals(ChatTemplate.ToolCallFormat.JSON, detect("qwen3-micro-F32.gguf").toolCallFormat());
    }

    @Test
    void smallQwen35TemplateIsRecognisedByItsOptInThinkingTest() throws IOException {
        String large = templateText("qwen35-micro-F32.gguf");
        String small = large.replace("enable_thinking is defined and enable_thinking is false", "enable_thinking is defined and enable_thinking is true")
                .replace("{{- '<think>\\n\\n</think>\\n\\n' }}\n    {%- else %}\n        {{- '<think>\\n' }}",
                        "{{- '<think>\\n' }}\n    {%- else %}\n        {{- '<think>\\n\\n</think>\\n\\n' }}");
        assertTrue(!small.equals(large));
        assertFalse(ChatTemplate.detect("qwen35", small).thinksByDefault());
    }

    @Test
    void fallsBackToTheArchitectureWithoutATemplate() {
        assertInstanceOf(Qwen35Template.class, ChatTemplate.detect("qwen35", null));
        assertInstanceOf(Qwen3Template.class, ChatTemplate.detect("qwen3", ""));
        assertInstanceOf(Qwen25Template.class, ChatTemplate.detect("qwen2", null));
        assertThrows(IllegalArgumentException.class, () -> ChatTemplate.detect("llama", null));
    }

    @Test
    void qwen25AddsItsDefaultSystemPromptAndJsonToolCalls() {
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("city", "Paris");
        String prompt = ChatTemplate.qwen25().render(List.of(ChatMessage.user("Hi"),
                ChatMessage.assistant("", null, List.of(new ToolCall("get_weather", args))),
                ChatMessage.tool("18C")), RenderOptions.GENERATE);
        assertEquals("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n"
                + "<|im_start|>user\n<tool_response>\n18C\n</tool_response><|im_end|>\n"
                + "<|im_start|>assistant\n", prompt);
    }

    @Test
    void qwen25PutsToolsAfterTheDefaultSystemPrompt() throws IOException {
        String prompt = ChatTemplate.qwen25().render(List.of(ChatMessage.user("Hi")), List.of(SpecExamples.getWeather()), RenderOptions.HISTORY);
        assertTrue(prompt.startsWith("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n\n# Tools\n\n"), prompt);
        assertTrue(prompt.endsWith("</tool_call><|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"), prompt);
    }

    @Test
    void qwen3KeepsReasoningOfTurnsAfterTheLastUserQuery() {
        String prompt = QWEN3.render(List.of(ChatMessage.user("Q"),
                ChatMessage.assistant("", "\nthink a\n", List.of(new ToolCall("f", Map.of()))),
                ChatMessage.tool("r"),
                ChatMessage.assistant("answer")), RenderOptions.HISTORY);
        assertEquals("<|im_start|>user\nQ<|im_end|>\n"
                + "<|im_start|>assistant\n<think>\nthink a\n</think>\n\n<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call><|im_end|>\n"
                + "<|im_start|>user\n<tool_response>\nr\n</tool_response><|im_end|>\n"
                + "<|im_start|>assistant\n<think>\n\n</think>\n\nanswer<|im_end|>\n", prompt);
    }

    @Test
    void qwen35TrimsContentsAndRendersPythonStyleArgumentValues() {
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("f", 1e-05);
        args.put("n", null);
        args.put("list", List.of(1, "a"));
        String prompt = QWEN35_LARGE.render(List.of(ChatMessage.user("  hi \n"),
                ChatMessage.assistant(" ", null, List.of(new ToolCall("g", args)))), RenderOptions.HISTORY);
        assertEquals("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n<tool_call>\n<function=g>\n"
                + "<parameter=f>\n1e-05\n</parameter>\n<parameter=n>\nNone\n</parameter>\n<parameter=list>\n[1, \"a\"]\n</parameter>\n"
                + "</function>\n</tool_call><|im_end|>\n", prompt);
    }

    @Test
    void qwen35RaisesTheTemplatesErrors() {
        assertThrows(IllegalArgumentException.class, () -> QWEN35_LARGE.render(List.of(), RenderOptions.GENERATE));
        assertThrows(IllegalArgumentException.class, () -> QWEN35_LARGE.render(List.of(ChatMessage.system("s")), RenderOptions.GENERATE));
        assertThrows(IllegalArgumentException.class, () -> QWEN35_LARGE.render(
                List.of(ChatMessage.user("u"), ChatMessage.system("late")), RenderOptions.GENERATE));
    }

    @Test
    void openAiToolCallArgumentsMayBeAJsonString() {
        ChatMessage m = ChatMessage.fromOpenAi(dev.qwen4j.json.Json.parseObject(
                "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"b\\\":2,\\\"a\\\":1}\"}}]}"));
        assertEquals("c1", m.toolCalls().getFirst().id());
        assertEquals(List.of("b", "a"), List.copyOf(m.toolCalls().getFirst().arguments().keySet()));
        assertEquals("", m.content());
    }

    @Test
    void malformedOpenAiToolCallsAreNamedErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChatMessage.fromOpenAi(dev.qwen4j.json.Json.parseObject(
                "{\"role\":\"assistant\",\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":\"{bad\"}}]}")));
        assertTrue(e.getMessage().startsWith("tool call f: arguments are not a JSON object ("), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ChatMessage.fromOpenAi(dev.qwen4j.json.Json.parseObject(
                "{\"role\":\"assistant\",\"tool_calls\":{}}")));
        assertEquals("tool_calls must be a list", e.getMessage());
    }

    private static ChatTemplate detect(String model) throws IOException {
        try (GgufFile g = GgufFile.open(Fixtures.model(model))) {
            return ChatTemplate.forModel(g);
        }
    }

    private static String templateText(String model) throws IOException {
        try (GgufFile g = GgufFile.open(Path.of(Fixtures.model(model).toString()))) {
            return g.getString("tokenizer.chat_template");
        }
    }
}
