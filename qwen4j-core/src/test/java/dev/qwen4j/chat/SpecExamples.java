package dev.qwen4j.chat;

import dev.qwen4j.json.Json;
import dev.qwen4j.testing.Fixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The worked examples of QWEN_SPEC.md §6.4, read from the spec itself (inputs and exact expected prompts). */
record SpecExamples(String number, String title, List<ChatMessage> messages, Map<String, Object> variables,
                    boolean withTools, String expected) {

    static ToolDefinition getWeather() throws IOException {
        String spec = Files.readString(Fixtures.spec());
        String marker = "The `get_weather` tool used below is `";
        int from = spec.indexOf(marker) + marker.length();
        return ToolDefinition.fromOpenAi(Json.parseObject(spec.substring(from, spec.indexOf("`", from))));
    }

    @SuppressWarnings("unchecked")
    static List<SpecExamples> all() throws IOException {
        String spec = Files.readString(Fixtures.spec());
        List<SpecExamples> out = new ArrayList<>();
        String[] sections = spec.split("\n#### 6\\.4\\.");
        for (int s = 1; s < sections.length; s++) {
            String section = sections[s];
            String heading = section.substring(0, section.indexOf('\n'));
            int inputAt = section.indexOf("Input messages (JSON): `");
            if (inputAt < 0) continue; // 6.4.13 describes model output, not a prompt
            int msgFrom = inputAt + "Input messages (JSON): `".length();
            String messagesJson = section.substring(msgFrom, section.indexOf("`; template variables: `", msgFrom));
            int varFrom = section.indexOf("template variables: `", msgFrom) + "template variables: `".length();
            String varsJson = section.substring(varFrom, section.indexOf('`', varFrom));
            String line = section.substring(inputAt, section.indexOf('\n', inputAt));
            int literalAt = section.indexOf("```\n\"", section.indexOf("Exact rendered prompt")) + 4;
            String literal = section.substring(literalAt, section.indexOf('\n', literalAt));
            List<ChatMessage> messages = new ArrayList<>();
            for (Object m : (List<Object>) Json.parse(messagesJson)) messages.add(ChatMessage.fromOpenAi((Map<String, Object>) m));
            out.add(new SpecExamples(heading.substring(0, heading.indexOf(' ')), heading, messages,
                    Json.parseObject(varsJson), line.contains("`tools` ="), (String) Json.parse(literal)));
        }
        return out;
    }

    RenderOptions options() {
        Object thinking = variables.get("enable_thinking");
        return new RenderOptions(Boolean.TRUE.equals(variables.get("add_generation_prompt")), (Boolean) thinking);
    }

    @Override
    public String toString() {
        return "6.4." + title;
    }
}
