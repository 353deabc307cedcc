package dev.qwen4j.cli;

import dev.qwen4j.generate.Chat;
import dev.qwen4j.generate.Engine;
import dev.qwen4j.generate.FinishReason;
import dev.qwen4j.generate.GenerationResult;
import dev.qwen4j.generate.PromptTooLongException;
import dev.qwen4j.generate.Usage;
import dev.qwen4j.json.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code qwen4j run MODEL "prompt"}: answers one prompt, streaming the answer to stdout. */
@Command(name = "run", description = "Answer one prompt and exit (the answer streams to stdout; Ctrl-C stops it).")
final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    ReplyOptions replyOptions;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PROMPT",
            description = "The prompt; \"-\" reads it from stdin. With a single argument, it is the prompt for the default model.")
    String prompt;

    @Option(names = "--json", description = "Print one JSON object (text, reasoning, tool calls, finish reason, usage) instead of streaming.")
    boolean json;

    @Option(names = "--stats", description = "Print token counts and speeds to stderr after the answer.")
    boolean stats;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (prompt == null) {
            // `qwen4j run "hello"`: one argument is the prompt, for the default model.
            if (modelOptions.model == null) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "Missing PROMPT: qwen4j run [MODEL] PROMPT");
            prompt = modelOptions.model;
            modelOptions.model = null;
        }
        String text = prompt.equals("-") ? TextInput.read(System.in, "stdin") : prompt;
        try (Engine engine = modelOptions.load(err)) {
            Chat chat = replyOptions.newChat(engine, modelOptions.contextSize(engine));
            var options = replyOptions.nextAnswer(engine, chat);
            Interrupts.install();
            AnswerPrinter printer = json ? null : new AnswerPrinter(out, err, replyOptions.reasoning, chat::cancel);
            GenerationResult result;
            try {
                result = Interrupts.whileGenerating(chat::cancel, () -> chat.send(text, options, printer == null ? e -> { } : printer));
            } catch (PromptTooLongException e) {
                throw new IllegalArgumentException(e.getMessage() + "; use a larger --ctx or a shorter prompt", e);
            }
            if (printer != null && printer.outputClosed()) return 141; // as a program killed by SIGPIPE
            if (json) {
                out.println(Json.write(toJson(engine, result)));
                out.flush();
            } else {
                printer.finishLine();
            }
            if (!json) {
                switch (result.finishReason()) {
                    case LOOP -> err.println("qwen4j: stopped a repetition loop (--loops off lets it run)");
                    case CONTEXT_FULL -> err.println("qwen4j: the context is full (--ctx sets its size)");
                    case CANCELLED -> err.println("qwen4j: cancelled");
                    default -> {
                    }
                }
            }
            if (stats) err.println(result.usage().summary() + ", finish: " + result.finishReason().wireName());
            err.flush();
            return result.finishReason() == FinishReason.CANCELLED ? 130 : 0; // 130: the shell's code for Ctrl-C
        }
    }

    static Map<String, Object> toJson(Engine engine, GenerationResult r) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("model", engine.name());
        doc.put("text", r.text());
        doc.put("reasoning", r.reasoning());
        List<Object> calls = new ArrayList<>();
        for (var c : r.toolCalls()) {
            Map<String, Object> call = new LinkedHashMap<>();
            call.put("name", c.name());
            call.put("arguments", c.arguments());
            calls.add(call);
        }
        doc.put("tool_calls", calls);
        doc.put("finish_reason", r.finishReason().wireName());
        doc.put("seed", r.seed());
        doc.put("usage", usage(r.usage()));
        return doc;
    }

    static Map<String, Object> usage(Usage u) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("prompt_tokens", (long) u.promptTokens());
        m.put("cached_tokens", (long) u.cachedTokens());
        m.put("completion_tokens", (long) u.completionTokens());
        m.put("reasoning_tokens", (long) u.reasoningTokens());
        m.put("prefill_tokens_per_second", round(u.prefillTokensPerSecond()));
        m.put("decode_tokens_per_second", round(u.decodeTokensPerSecond()));
        m.put("time_to_first_token_seconds", round(u.timeToFirstTokenSeconds()));
        if (u.draftedTokens() > 0) {
            m.put("drafted_tokens", (long) u.draftedTokens());
            m.put("accepted_tokens", (long) u.acceptedTokens());
        }
        return m;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
