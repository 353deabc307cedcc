package dev.qwen4j.generate;

import dev.qwen4j.chat.ChatMessage;
import dev.qwen4j.chat.RenderOptions;
import dev.qwen4j.chat.Role;
import dev.qwen4j.chat.ToolDefinition;
import dev.qwen4j.json.Json;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A multi-turn conversation: the messages, rendered with the model's chat template and run on one
 * {@link Session}, whose prompt cache makes each turn process only the tokens the previous turn did not.
 * Not thread-safe (one conversation, one speaker at a time), except {@link #cancel()}.
 */
public final class Chat {

    /** What to do when the conversation outgrows the context. */
    public enum ContextPolicy {
        /** Fail with {@link PromptTooLongException}; the conversation stays as it was. */
        ERROR,
        /** Drop the oldest turns (never the system prompt or the latest user message) until it fits. */
        DROP_OLDEST
    }

    /**
     * Settings of one reply; null sampling means Qwen's recommendation for the model and mode.
     *
     * @param maxTokens      the most new tokens; ≤ 0 = until the context is full
     * @param thinkingBudget the most reasoning tokens before {@code </think>} is forced; &lt; 0 = none
     * @param draftTokens    speculative decoding's draft length, 0 = off; greedy sampling only
     *                       ({@link GenerationRequest#draftTokens()})
     * @param draftHead      drafts from the model's own head instead of prompt lookup ({@link GenerationRequest#draftHead()})
     */
    public record ReplyOptions(SamplingParams sampling, int maxTokens, int thinkingBudget, List<String> stopStrings,
                               LoopPolicy loopPolicy, int draftTokens, boolean draftHead) {
        public ReplyOptions {
            stopStrings = stopStrings == null ? List.of() : List.copyOf(stopStrings);
            if (loopPolicy == null) loopPolicy = LoopPolicy.CLOSE_THINKING;
            if (draftTokens < 0) throw new IllegalArgumentException("the draft length must be ≥ 0, got " + draftTokens);
        }

        /** Options drafting by prompt lookup (or not at all: {@code draftTokens} 0). */
        public ReplyOptions(SamplingParams sampling, int maxTokens, int thinkingBudget, List<String> stopStrings,
                            LoopPolicy loopPolicy, int draftTokens) {
            this(sampling, maxTokens, thinkingBudget, stopStrings, loopPolicy, draftTokens, false);
        }

        /** Options without drafting. */
        public ReplyOptions(SamplingParams sampling, int maxTokens, int thinkingBudget, List<String> stopStrings,
                            LoopPolicy loopPolicy) {
            this(sampling, maxTokens, thinkingBudget, stopStrings, loopPolicy, 0);
        }

        public static ReplyOptions defaults() {
            return new ReplyOptions(null, 0, -1, List.of(), LoopPolicy.CLOSE_THINKING);
        }
    }

    private final Engine engine;
    private final Session session;
    private final List<ChatMessage> messages = new ArrayList<>();
    private List<ToolDefinition> tools = List.of();
    private Boolean thinking;
    private ContextPolicy contextPolicy = ContextPolicy.ERROR;
    private GenerationResult last;

    Chat(Engine engine, Session session) {
        this.engine = engine;
        this.session = session;
    }

    public Session session() {
        return session;
    }

    public List<ChatMessage> messages() {
        return List.copyOf(messages);
    }

    /** The result of the latest reply, or null. */
    public GenerationResult lastResult() {
        return last;
    }

    /** Sets (or, with null/blank, removes) the system prompt. */
    public Chat system(String text) {
        messages.removeIf(m -> m.role() == Role.SYSTEM);
        if (text != null && !text.isBlank()) messages.addFirst(ChatMessage.system(text));
        return this;
    }

    public Chat tools(List<ToolDefinition> definitions) {
        tools = List.copyOf(definitions);
        return this;
    }

    /** Thinking on or off for the next replies; null = the model's default. */
    public Chat thinking(Boolean enabled) {
        thinking = enabled;
        return this;
    }

    /** Whether the next reply thinks. */
    public boolean thinking() {
        return thinking != null ? thinking : engine.thinksByDefault();
    }

    public Chat contextPolicy(ContextPolicy policy) {
        contextPolicy = policy;
        return this;
    }

    /** Adds a message without replying (e.g. tool results before {@link #reply}). */
    public Chat add(ChatMessage message) {
        messages.add(message);
        return this;
    }

    /** Adds a user message and generates the answer. */
    public GenerationResult send(String userText, ReplyOptions options, Consumer<GenerationEvent> listener) {
        messages.add(ChatMessage.user(userText));
        return reply(options, listener);
    }

    /**
     * Generates the assistant's next message from the conversation so far and appends it. A cancelled reply that
     * produced no text is not kept, nor is the user message it answered, so the question can be asked again.
     */
    public GenerationResult reply(ReplyOptions options, Consumer<GenerationEvent> listener) {
        boolean think = thinking();
        int[] prompt = fittingPrompt(think, options);
        SamplingParams sampling = options.sampling() != null ? options.sampling() : engine.defaultSampling(think);
        GenerationRequest request = GenerationRequest.builder(prompt)
                .sampling(sampling)
                .maxTokens(options.maxTokens())
                .thinkingBudget(think ? options.thinkingBudget() : -1)
                .stopStrings(options.stopStrings())
                .loopPolicy(options.loopPolicy())
                .tools(tools)
                .draftTokens(options.draftTokens())
                .draftHead(options.draftHead())
                .build();
        GenerationResult result = session.generate(request, listener);
        last = result;
        boolean nothing = result.text().isEmpty() && result.reasoning().isEmpty() && result.toolCalls().isEmpty();
        if (result.finishReason() == FinishReason.CANCELLED && nothing) {
            if (!messages.isEmpty() && messages.getLast().role() == Role.USER) messages.removeLast();
        } else {
            messages.add(ChatMessage.assistant(result.text(), result.reasoning().isEmpty() ? null : result.reasoning(),
                    result.toolCalls()));
        }
        return result;
    }

    /** Cancels the reply running now (from any thread). */
    public void cancel() {
        session.cancel();
    }

    /** Forgets the conversation (the system prompt stays) and the processed tokens. */
    public void clear() {
        messages.removeIf(m -> m.role() != Role.SYSTEM);
        session.clear();
        last = null;
    }

    /** Tokens of the prompt the next reply would see (for inspection and tests). */
    public int[] renderPrompt() {
        return render(thinking());
    }

    private int[] render(boolean think) {
        String text = engine.template().render(messages, tools, RenderOptions.generate(think));
        return engine.tokenizer().encode(text, true);
    }

    private int[] fittingPrompt(boolean think, ReplyOptions options) {
        while (true) {
            int[] prompt = render(think);
            if (prompt.length < session.contextSize()) return prompt;
            if (contextPolicy == ContextPolicy.ERROR || !dropOldestTurn()) {
                if (!messages.isEmpty() && messages.getLast().role() == Role.USER) messages.removeLast();
                throw new PromptTooLongException(prompt.length, session.contextSize());
            }
        }
    }

    /** Removes the oldest turn: the first non-system message and everything up to the next user message. */
    private boolean dropOldestTurn() {
        int first = 0;
        while (first < messages.size() && messages.get(first).role() == Role.SYSTEM) first++;
        int lastUser = messages.size() - 1;
        while (lastUser >= 0 && messages.get(lastUser).role() != Role.USER) lastUser--;
        if (first >= lastUser) return false;
        int end = first + 1;
        while (end < lastUser && messages.get(end).role() != Role.USER) end++;
        messages.subList(first, end).clear();
        return true;
    }

    /** Saves the conversation and the session state (reloaded by {@link #load}). */
    public void save(Path file) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("model", engine.name());
        doc.put("thinking", thinking);
        List<Object> list = new ArrayList<>();
        for (ChatMessage m : messages) list.add(toJson(m));
        doc.put("messages", list);
        session.save(file, Json.write(doc));
    }

    /** Replaces this conversation with one saved by {@link #save}. */
    @SuppressWarnings("unchecked")
    public void load(Path file) throws IOException {
        String attachment = session.load(file);
        // Everything is read before anything is replaced: a bad file leaves this conversation as it was (only its
        // processed state is dropped, and rebuilt by the next answer).
        List<ChatMessage> loaded = new ArrayList<>();
        Boolean savedThinking;
        try {
            Map<String, Object> doc = Json.parseObject(attachment);
            if (doc.get("model") instanceof String saved && !saved.equals(engine.name())) {
                // Same architecture and vocabulary, other weights: the saved state would silently steer this model.
                throw new IOException(file + " was saved with model " + saved + ", not " + engine.name());
            }
            if (!(doc.getOrDefault("messages", List.of()) instanceof List<?> list)) throw new IllegalArgumentException("'messages' is not a list");
            for (Object o : list) {
                if (!(o instanceof Map<?, ?> m)) throw new IllegalArgumentException("a message is not an object");
                loaded.add(ChatMessage.fromOpenAi((Map<String, Object>) m));
            }
            savedThinking = doc.get("thinking") instanceof Boolean b ? b : null;
        } catch (IOException e) {
            session.clear();
            throw e;
        } catch (RuntimeException e) {
            session.clear();
            throw new IOException(file + " holds no saved chat (" + e.getMessage() + ")", e);
        }
        messages.clear();
        messages.addAll(loaded);
        thinking = savedThinking;
        last = null;
    }

    private static Map<String, Object> toJson(ChatMessage m) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("role", m.role().wireName());
        out.put("content", m.content());
        if (m.reasoning() != null) out.put("reasoning_content", m.reasoning());
        if (!m.toolCalls().isEmpty()) {
            List<Object> calls = new ArrayList<>();
            for (var c : m.toolCalls()) {
                Map<String, Object> fn = new LinkedHashMap<>();
                fn.put("name", c.name());
                fn.put("arguments", c.arguments());
                Map<String, Object> call = new LinkedHashMap<>();
                if (c.id() != null) call.put("id", c.id());
                call.put("type", "function");
                call.put("function", fn);
                calls.add(call);
            }
            out.put("tool_calls", calls);
        }
        if (m.toolCallId() != null) out.put("tool_call_id", m.toolCallId());
        if (m.name() != null) out.put("name", m.name());
        return out;
    }
}
