package dev.qwen4j.cli;

import dev.qwen4j.generate.Chat;
import dev.qwen4j.generate.Engine;
import dev.qwen4j.generate.GenerationResult;
import dev.qwen4j.generate.PromptCache;
import dev.qwen4j.generate.PromptTooLongException;
import dev.qwen4j.generate.Usage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code qwen4j chat MODEL}: an interactive conversation. Each turn reuses the previous turns' processed tokens
 * (prompt cache), so only the new message is read. Lines starting with {@code /} are commands ({@code /help}).
 */
@Command(name = "chat", description = "Talk with a model in the terminal (/help lists the commands).")
final class ChatCommand implements Callable<Integer> {
    private static final String HELP = """
            /think [on|off]  thinking on or off (no argument: toggle)
            /clear           start a new conversation
            /save FILE       save the conversation and its processed state
            /load FILE       continue a saved conversation
            /stats           context use, cache and speed of the last answer
            /exit            quit (also Ctrl-D); Ctrl-C stops an answer""";

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    ReplyOptions replyOptions;

    @Option(names = "--drop-oldest", description = "When the conversation outgrows the context, drop its oldest turns (default: say so and keep everything).")
    boolean dropOldest;

    private PrintWriter out;
    private PrintWriter err;
    private Engine engine;
    private Chat chat;
    private long totalTokens;
    private long totalCached;
    private long totalPrompt;

    @Override
    public Integer call() throws IOException {
        out = spec.commandLine().getOut();
        err = spec.commandLine().getErr();
        try (Engine loaded = modelOptions.load(err)) {
            engine = loaded;
            int contextSize = modelOptions.contextSize(engine);
            chat = replyOptions.newChat(engine, contextSize);
            replyOptions.nextAnswer(engine, chat); // bad sampling flags fail now, not after the first message is typed
            if (dropOldest) chat.contextPolicy(Chat.ContextPolicy.DROP_OLDEST);
            Interrupts.install();
            if (StatusLine.TERMINAL) {
                err.printf("%s, context %d tokens, thinking %s. /help for commands, Ctrl-D to quit.%n",
                        engine.name(), contextSize, chat.thinking() ? "on" : "off");
                err.flush();
            }
            try (LineInput in = LineInput.open(out, err)) {
                while (true) {
                    String line = in.readLine(StatusLine.TERMINAL ? "> " : "");
                    if (line == null) break;
                    if (line.isBlank()) continue;
                    if (line.startsWith("/")) {
                        if (!command(line.strip())) break;
                    } else if (!answer(line)) {
                        return 141; // stdout is closed: as a program killed by SIGPIPE
                    }
                }
            }
            return 0;
        }
    }

    /** Answers one message; false when stdout is closed, so the chat cannot go on. */
    private boolean answer(String line) {
        var options = replyOptions.nextAnswer(engine, chat);
        AnswerPrinter printer = new AnswerPrinter(out, err, replyOptions.reasoning, chat::cancel);
        GenerationResult result;
        try {
            result = Interrupts.whileGenerating(chat::cancel, () -> chat.send(line, options, printer));
        } catch (PromptTooLongException e) {
            err.println("qwen4j: " + e.getMessage() + "; /clear starts over, --ctx sets a larger context, --drop-oldest forgets old turns");
            err.flush();
            return true;
        }
        if (printer.outputClosed()) return false;
        printer.finishLine();
        Usage u = result.usage();
        totalTokens += u.completionTokens();
        totalCached += u.cachedTokens();
        totalPrompt += u.promptTokens();
        String ending = switch (result.finishReason()) {
            case CANCELLED -> " [cancelled]";
            case LENGTH -> " [max tokens reached]";
            case CONTEXT_FULL -> " [context full: /clear starts over]";
            case LOOP -> " [stopped a repetition loop]";
            case STOP -> "";
        };
        err.printf(Locale.ROOT, "[%d tokens, %.1f tok/s, %d cached, %d new prompt tokens at %.1f tok/s]%s%n",
                u.completionTokens(), u.decodeTokensPerSecond(), u.cachedTokens(), u.processedPromptTokens(),
                u.prefillTokensPerSecond(), ending);
        err.flush();
        return true;
    }

    /** Runs a slash command; false means quit. */
    private boolean command(String line) {
        String[] parts = line.split("\\s+", 2);
        String arg = parts.length > 1 ? parts[1].strip() : "";
        switch (parts[0]) {
            case "/exit", "/quit", "/bye" -> {
                return false;
            }
            case "/help", "/?" -> out.println(HELP);
            case "/think" -> {
                Boolean on = switch (arg.toLowerCase(Locale.ROOT)) {
                    case "" -> !chat.thinking();
                    case "on", "true", "yes" -> true;
                    case "off", "false", "no" -> false;
                    default -> null;
                };
                if (on == null) {
                    out.println("usage: /think [on|off]");
                } else {
                    chat.thinking(on);
                    out.println("thinking " + (on ? "on" : "off"));
                }
            }
            case "/clear" -> {
                chat.clear();
                out.println("conversation cleared");
            }
            case "/save" -> {
                if (arg.isEmpty()) {
                    out.println("usage: /save FILE");
                } else {
                    try {
                        chat.save(Path.of(arg));
                        out.println("saved " + chat.messages().size() + " messages to " + arg);
                    } catch (IOException | RuntimeException e) {
                        err.println("qwen4j: cannot save to " + arg + ": " + Errors.describe(e));
                    }
                }
            }
            case "/load" -> {
                if (arg.isEmpty()) {
                    out.println("usage: /load FILE");
                } else {
                    try {
                        chat.load(Path.of(arg));
                        out.println("loaded " + chat.messages().size() + " messages from " + arg);
                    } catch (IOException | RuntimeException e) {
                        err.println("qwen4j: cannot load " + arg + ": " + Errors.describe(e));
                    }
                }
            }
            case "/stats" -> stats();
            default -> out.println("unknown command " + parts[0] + "; /help lists the commands");
        }
        out.flush();
        err.flush();
        return true;
    }

    private void stats() {
        PromptCache cache = chat.session().promptCache();
        out.printf(Locale.ROOT, "model: %s (%s, %.2fB parameters)%n", engine.name(), engine.architecture(), engine.parameterCount() / 1e9);
        out.printf(Locale.ROOT, "context: %d of %d tokens used, %d messages, thinking %s%n",
                cache.length(), chat.session().contextSize(), chat.messages().size(), chat.thinking() ? "on" : "off");
        out.printf(Locale.ROOT, "prompt cache: %d checkpoints, %.1f MiB%n", cache.checkpointCount(), cache.checkpointBytes() / 1048576.0);
        out.printf(Locale.ROOT, "this chat: %d tokens generated, %d of %d prompt tokens cached%n", totalTokens, totalCached, totalPrompt);
        GenerationResult last = chat.lastResult();
        if (last != null) {
            out.println("last answer: " + last.usage().summary() + ", finish " + last.finishReason().wireName()
                    + ", seed " + last.seed());
        }
    }
}
