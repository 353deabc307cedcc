package dev.qwen4j.generate;

import dev.qwen4j.chat.ChatTemplate.ToolCallFormat;
import dev.qwen4j.model.Drafter;
import dev.qwen4j.model.LanguageModel;
import dev.qwen4j.model.ModelState;
import dev.qwen4j.model.PromptLookup;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * One conversation's worth of state on a shared model: its own {@link ModelState} and {@link PromptCache}.
 * It runs one request at a time (open more sessions on the same model for concurrent requests); a request
 * can be cancelled from any thread with {@link #cancel()}.
 *
 * <p>A request's prompt is always the whole conversation so far; the session finds the longest prefix it has
 * already processed and runs only the rest through the model ({@link Usage#cachedTokens()}).
 */
public final class Session implements AutoCloseable {
    /** Prompts are fed in slices of this many tokens: bounds scratch memory and lets cancellation act in between. */
    private static final int PREFILL_CHUNK = 512;
    private static final int FILE_MAGIC = 0x514A5353; // "QJSS"
    private static final int FILE_VERSION = 1;

    private final LanguageModel model;
    private final Vocabulary vocab;
    private final PromptCache cache;
    /** How the model writes tool calls; null = tool calls are left in the text. */
    private final ToolCallFormat toolCallFormat;
    private final ReentrantLock busy = new ReentrantLock();
    private final float[] logits;
    private final int[] closeThinking;
    private volatile Run current;

    /** A cancellation flag per request, so a late {@link #cancel()} never leaks into the next request. */
    static final class Run {
        volatile boolean cancelled;
    }

    public Session(LanguageModel model, Vocabulary vocab, int contextSize, PromptCache.Options cacheOptions) {
        this(model, vocab, contextSize, cacheOptions, null);
    }

    /** A session that also reads tool calls written in {@code toolCallFormat} (null: leave them in the text). */
    public Session(LanguageModel model, Vocabulary vocab, int contextSize, PromptCache.Options cacheOptions,
                   ToolCallFormat toolCallFormat) {
        this.model = model;
        this.vocab = vocab;
        this.toolCallFormat = toolCallFormat;
        this.cache = new PromptCache(model.newState(contextSize), cacheOptions);
        this.logits = new float[model.vocabSize()];
        this.closeThinking = vocab.specialToken("</think>") >= 0 ? vocab.encode("\n</think>\n\n") : new int[0];
    }

    public int contextSize() {
        return cache.state().capacity();
    }

    /** Tokens currently held in the state (what the next prompt can reuse). */
    public int[] processedTokens() {
        return cache.tokens();
    }

    public PromptCache promptCache() {
        return cache;
    }

    public Vocabulary vocabulary() {
        return vocab;
    }

    /** Cancels the request running now, if any; it stops before the next token. */
    public void cancel() {
        Run run = current;
        if (run != null) run.cancelled = true;
    }

    /** Forgets the processed tokens and checkpoints. */
    public void clear() {
        withLock(() -> {
            cache.clear();
            return null;
        });
    }

    /**
     * Runs a request on the calling thread, streaming events to {@code listener} (the last one is
     * {@link GenerationEvent.Done}). Throws {@link PromptTooLongException} when the prompt does not fit.
     */
    public GenerationResult generate(GenerationRequest request, Consumer<GenerationEvent> listener) {
        return generate(request, listener, new Run());
    }

    GenerationResult generate(GenerationRequest request, Consumer<GenerationEvent> listener, Run run) {
        return withLock(() -> run(request, listener, run));
    }

    /** Runs a request on a background thread; iterate over its events (close the stream to cancel). */
    public GenerationStream stream(GenerationRequest request) {
        return new GenerationStream(this, request);
    }

    private GenerationResult run(GenerationRequest request, Consumer<GenerationEvent> listener, Run run) {
        int[] prompt = request.prompt();
        int capacity = contextSize();
        if (prompt.length >= capacity) throw new PromptTooLongException(prompt.length, capacity);
        current = run;
        try {
            return decode(request, listener, run);
        } catch (RuntimeException | Error e) {
            cache.clear(); // the state may be half-way through a forward: start clean next time
            throw e;
        } finally {
            current = null;
        }
    }

    private GenerationResult decode(GenerationRequest request, Consumer<GenerationEvent> listener, Run run) {
        long start = System.nanoTime();
        int[] prompt = request.prompt();
        if (request.draftHead() && !model.hasDraftHead()) {
            throw new IllegalArgumentException("drafting with the model's head needs a model with one (an MTP block in its file)");
        }
        boolean drafting = request.sampling().isGreedy() && request.draftTokens() > 0;    // greedy answers only
        if (drafting && request.draftHead()) model.enableDraftHead(cache.state());          // before the prompt: it sees all of it
        int cached = cache.prepare(prompt);
        boolean cancelled = !prefill(prompt, cached, request.checkpointHints(), listener, run);
        long prefillNanos = System.nanoTime() - start;

        SamplingParams params = request.sampling();
        Sampler sampler = new Sampler(params, model.vocabSize(), vocab.unusedTokens(), ThreadLocalRandom.current().nextLong());
        OutputRouter router = new OutputRouter(vocab, request.parseThinking(), OutputRouter.promptEndsInThinking(prompt, vocab),
                request.stopStrings(), toolCallFormat == null ? null : new ToolCallReader(toolCallFormat, request.tools()), listener);
        LoopDetector loops = request.loopPolicy() == LoopPolicy.OFF ? null : LoopDetector.standard();
        ArrayDeque<Integer> forced = new ArrayDeque<>();
        int[] context = Arrays.copyOf(prompt, Math.max(prompt.length + 64, prompt.length * 2));
        int contextLength = prompt.length;
        int[] generated = new int[64];
        int count = 0;
        int decoded = 0;
        long firstTokenAt = 0;
        long decodeStart = System.nanoTime();
        int nextCheckpoint = cache.nextPeriodicCheckpoint(cache.length());
        Drafts drafts = drafting ? new Drafts(request.draftTokens(), request.draftHead()) : null;
        FinishReason finish;

        while (true) {
            if (cancelled || run.cancelled) {
                finish = FinishReason.CANCELLED;
                break;
            }
            if (request.maxTokens() > 0 && count >= request.maxTokens()) {
                finish = FinishReason.LENGTH;
                break;
            }
            if (router.thinking() && forced.isEmpty() && request.thinkingBudget() >= 0
                    && router.reasoningTokens() >= request.thinkingBudget()) {
                forceCloseThinking(forced); // the budget is spent: close the think block so the model answers
            }
            int token = forced.isEmpty() ? sampler.sample(logits, context, contextLength) : forced.poll();
            // A drafted token already fed, if it is the one chosen; else the unchecked drafts are taken back.
            boolean prefed = drafts != null && drafts.confirm(token);
            if (drafts != null && !prefed) drafts.rewind(contextLength, context);
            if (firstTokenAt == 0) firstTokenAt = System.nanoTime();
            sampler.accept(token);
            if (count == generated.length) generated = Arrays.copyOf(generated, count * 2);
            generated[count++] = token;
            listener.accept(new GenerationEvent.Token(token));
            if (vocab.isEndOfGeneration(token)) {
                finish = FinishReason.STOP;
                break;
            }
            boolean wasThinking = router.thinking();
            router.accept(token);
            if (router.stopped()) {
                finish = FinishReason.STOP;
                break;
            }
            if (wasThinking != router.thinking() && loops != null) loops.reset();
            if (loops != null && forced.isEmpty() && loops.accept(token) > 0) {
                if (router.thinking() && request.loopPolicy() == LoopPolicy.CLOSE_THINKING && closeThinking.length > 0) {
                    forceCloseThinking(forced);
                    loops.reset();
                } else {
                    finish = FinishReason.LOOP;
                    break;
                }
            }
            if (contextLength >= contextSize()) {
                finish = FinishReason.CONTEXT_FULL;
                break;
            }
            if (contextLength == context.length) context = Arrays.copyOf(context, contextLength * 2);
            context[contextLength++] = token;
            if (prefed) {
                drafts.nextLogits(logits);
            } else if (drafts == null || !forced.isEmpty() || !drafts.feed(context, contextLength, draftRoom(request, contextLength, count), logits)) {
                feed(context, contextLength - 1, 1, logits);
            }
            decoded++;
            if ((drafts == null || drafts.idle()) && cache.length() >= nextCheckpoint) {
                cache.checkpoint(PromptCache.Kind.PERIODIC);
                nextCheckpoint = cache.nextPeriodicCheckpoint(cache.length());
            }
        }
        // The state holds exactly the context (every token but the last), as without drafting.
        if (drafts != null) drafts.rewind(contextLength, context);
        long end = System.nanoTime();
        router.finish();
        cache.checkpoint(PromptCache.Kind.END); // the end of this answer: where the next turn usually resumes on a pure continuation

        Usage usage = new Usage(prompt.length, cached, count, router.reasoningTokens(), prefillNanos,
                end - decodeStart, decoded, firstTokenAt == 0 ? 0 : firstTokenAt - start,
                drafts == null ? 0 : drafts.drafted, drafts == null ? 0 : drafts.accepted);
        GenerationResult result = new GenerationResult(router.text(), router.reasoning(), router.toolCalls(),
                Arrays.copyOf(generated, count), finish, usage, sampler.seed());
        listener.accept(new GenerationEvent.Done(result));
        return result;
    }

    /**
     * Speculative decoding for one greedy request: after a chosen token, up to {@code max} tokens drafted by
     * {@link PromptLookup} (or one by the model's draft head) go through the model in the same forward pass, with logits for every position. The
     * decode loop then chooses each next token from those logits as usual (so every token gets the same
     * handling); while the choice equals the next draft, that draft is already fed and costs no pass. The first
     * other choice — or the end of the answer — takes the unchecked drafts back out of the state: by truncating it
     * (attention-only states, and hybrid ones through the trail the pass kept, {@link ModelState#keepTrail}), else by
     * restoring the checkpoint taken before the pass and feeding the kept ones again.
     */
    private final class Drafts {
        private final Drafter drafter;
        private final int[] batch;
        private final int[] draft;
        private final float[] rows;
        private final int vocabSize = model.vocabSize();
        private ModelState.Checkpoint before;
        private int size;     // tokens in the pending batch (0: none pending)
        private int kept;     // of which the first this many are confirmed
        private int pause;    // passes to skip drafting after a draft was rejected outright
        int drafted;
        int accepted;

        Drafts(int max, boolean head) {
            drafter = head ? Drafter.draftHead(model) : PromptLookup.defaults();
            batch = new int[max + 1];
            draft = new int[max];
            rows = new float[(max + 1) * vocabSize];
        }

        /**
         * Feeds the last context token plus a draft continuing the context, if one is found and fits in
         * {@code room} tokens; the logits after the last context token go to {@code logits}. False: nothing fed.
         */
        boolean feed(int[] context, int length, int room, float[] logits) {
            if (pause > 0) {
                pause--;
                return false;
            }
            ModelState state = cache.state();
            int k = drafter.draft(state, context, length, Math.min(draft.length, room), draft);
            if (k <= 0) return false;
            batch[0] = context[length - 1];
            System.arraycopy(draft, 0, batch, 1, k);
            before = state.keepTrail(draft.length + 1) ? null : state.checkpoint();
            model.forward(state, batch, 0, k + 1, rows, true);
            cache.appended(batch, 0, k + 1);
            size = k + 1;
            kept = 1;
            drafted += k;
            nextLogits(logits);
            return true;
        }

        /** Whether no drafts are pending: the state holds exactly the tokens kept. */
        boolean idle() {
            return size == 0;
        }

        /** Whether {@code token} is the next pending draft (then it counts as fed). */
        boolean confirm(int token) {
            if (kept >= size || batch[kept] != token) return false;
            kept++;
            accepted++;
            return true;
        }

        /** Copies the logits after the latest confirmed token; ends the batch once every draft is confirmed. */
        void nextLogits(float[] logits) {
            System.arraycopy(rows, (kept - 1) * vocabSize, logits, 0, vocabSize);
            if (kept == size) size = 0;
        }

        /** Takes the state back to {@code context[0 .. length)} if drafts past it are still in it. */
        void rewind(int length, int[] context) {
            if (size == 0 && cache.length() <= length) return;
            if (size > 0 && kept == 1) pause = 4; // the whole draft was wrong: drafting here is not paying off
            size = 0;
            if (cache.length() <= length) return;
            ModelState state = cache.state();
            if (length >= state.truncateFloor()) {
                state.truncate(length);
            } else {
                state.restore(before);
                int from = before.position();
                if (length > from) model.forward(state, context, from, length - from, rows, false);
            }
            cache.rewound();
        }
    }

    /** The most drafts worth feeding after the token at {@code contextLength − 1}: within the context and max tokens. */
    private int draftRoom(GenerationRequest request, int contextLength, int count) {
        int room = contextSize() - contextLength;
        return request.maxTokens() > 0 ? Math.min(room, request.maxTokens() - count) : room;
    }

    private void forceCloseThinking(ArrayDeque<Integer> forced) {
        for (int t : closeThinking) forced.add(t);
    }

    /** Feeds prompt[from ..] in slices that end at checkpoint positions. Returns false if cancelled on the way. */
    private boolean prefill(int[] prompt, int from, int[] hints, Consumer<GenerationEvent> listener, Run run) {
        int[] marks = checkpointMarks(prompt, hints);
        int total = prompt.length - from;
        int position = from;
        while (position < prompt.length) {
            if (run.cancelled) return false;
            int end = Math.min(prompt.length, position + PREFILL_CHUNK);
            int periodic = cache.nextPeriodicCheckpoint(position);
            boolean atPeriodic = periodic <= end;
            if (atPeriodic) end = periodic;
            boolean atMark = false;
            for (int mark : marks) {
                if (mark > position && mark <= end) {
                    end = mark;
                    atMark = true;
                    atPeriodic = end == periodic;
                    break;
                }
            }
            feed(prompt, position, end - position, logits);
            position = end;
            if (atMark || atPeriodic) cache.checkpoint(atMark ? PromptCache.Kind.TURN_START : PromptCache.Kind.PERIODIC);
            if (position < prompt.length) listener.accept(new GenerationEvent.PromptProgress(position - from, total));
        }
        // No checkpoint at the very end of the prompt: the same prompt again resumes one token earlier (at the
        // answer-start mark), and a longer one parts from it at that mark too.
        listener.accept(new GenerationEvent.PromptProgress(total, total));
        return true;
    }

    /**
     * Sorted prompt positions to checkpoint at: the caller's hints, plus where the last turn header starts (the
     * end of the history) and where it ends (after {@code <|im_start|>assistant\n}). The next chat turn re-renders
     * this turn's answer without its think block, so it parts from this prompt right after the header
     * (QWEN_SPEC.md §6.5) — or inside it, when the answer's first characters tokenize together with the newline.
     */
    private int[] checkpointMarks(int[] prompt, int[] hints) {
        if (!cache.keepsCheckpoints()) return new int[0];
        int[] marks = Arrays.copyOf(hints, hints.length + 2);
        int header = lastTurnHeader(prompt);
        marks[hints.length] = header;
        marks[hints.length + 1] = header < 0 ? -1 : afterLine(prompt, header);
        return Arrays.stream(marks).filter(m -> m > 0 && m < prompt.length).sorted().distinct().toArray();
    }

    private int lastTurnHeader(int[] prompt) {
        int turn = vocab.specialToken("<|im_start|>");
        if (turn < 0) return -1;
        for (int i = prompt.length - 1; i >= 0; i--) if (prompt[i] == turn) return i;
        return -1;
    }

    /** The position after the first token (from {@code from}) that ends a line, or −1. */
    private int afterLine(int[] prompt, int from) {
        for (int j = from + 1; j < prompt.length; j++) {
            byte[] b = vocab.bytes(prompt[j]);
            if (b.length > 0 && b[b.length - 1] == '\n') return j + 1;
        }
        return -1;
    }

    private void feed(int[] tokens, int offset, int count, float[] out) {
        model.forward(cache.state(), tokens, offset, count, out, false);
        cache.appended(tokens, offset, count);
    }

    /**
     * Writes the processed tokens and the model state to {@code file} (atomically), with an optional caller
     * attachment (a chat saves its messages there). A hybrid model's state is written as of the start of the
     * latest answer (its last turn-start checkpoint): that is where the next chat turn resumes, and a loaded
     * recurrent state could not be rewound to it.
     */
    public void save(Path file, String attachment) throws IOException {
        withLock(() -> {
            Path tmp = file.toAbsolutePath().resolveSibling(file.getFileName() + ".tmp");
            if (!Files.isDirectory(tmp.getParent())) throw new IOException("no such folder: " + tmp.getParent());
            try {
                write(tmp, attachment);
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(tmp); // a failed save (full disk, FILE a directory…) leaves no half-written file
                throw e;
            }
            return null;
        });
    }

    private void write(Path tmp, String attachment) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16))) {
            out.writeInt(FILE_MAGIC);
            out.writeInt(FILE_VERSION);
            out.writeUTF(model.architecture());
            out.writeInt(model.vocabSize());
            byte[] note = (attachment == null ? "" : attachment).getBytes(StandardCharsets.UTF_8);
            out.writeInt(note.length);
            out.write(note);
            int[] tokens = cache.tokens();
            ModelState state = cache.state();
            ModelState.Checkpoint resume = cache.keepsCheckpoints() ? cache.latestTurnStart() : null;
            int saved = resume == null ? tokens.length : resume.position();
            out.writeInt(saved);
            for (int i = 0; i < saved; i++) out.writeInt(tokens[i]);
            if (saved == tokens.length) {
                state.writeTo(out);
            } else {
                // Rewinding to an earlier checkpoint and then to a later one replaces no tokens: both stay valid.
                ModelState.Checkpoint now = state.checkpoint();
                state.restore(resume);
                try {
                    state.writeTo(out);
                } finally {
                    state.restore(now);
                }
            }
        }
    }

    /** Reads what {@link #save} wrote, replacing this session's state; returns the attachment. */
    public String load(Path file) throws IOException {
        return withLock(() -> {
            try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
                if (in.readInt() != FILE_MAGIC) throw new IOException(file + " is not a qwen4j session file");
                int version = in.readInt();
                if (version != FILE_VERSION) throw new IOException(file + ": session file version " + version + " is not supported");
                String arch = in.readUTF();
                int vocabSize = in.readInt();
                if (!arch.equals(model.architecture()) || vocabSize != model.vocabSize()) {
                    throw new IOException(file + " was saved from a " + arch + " model with " + vocabSize
                            + " tokens; this model is " + model.architecture() + " with " + model.vocabSize());
                }
                int noteLength = in.readInt();
                if (noteLength < 0) throw new IOException(file + " is not a qwen4j session file (bad header)");
                byte[] note = in.readNBytes(noteLength);
                if (note.length < noteLength) throw new java.io.EOFException();
                int n = in.readInt();
                if (n < 0 || n > contextSize()) {
                    throw new IOException(file + " holds " + n + " tokens, more than this session's context of " + contextSize());
                }
                int[] tokens = new int[n];
                for (int i = 0; i < n; i++) tokens[i] = in.readInt();
                cache.clear();
                try {
                    cache.state().readFrom(in);
                    cache.loaded(tokens);
                } catch (IOException | RuntimeException e) {
                    cache.clear();
                    throw e;
                }
                return new String(note, StandardCharsets.UTF_8);
            } catch (java.io.EOFException e) {
                throw new IOException(file + " is truncated", e);
            }
        });
    }

    private interface Body<T, E extends Exception> {
        T run() throws E;
    }

    private <T, E extends Exception> T withLock(Body<T, E> body) throws E {
        if (!busy.tryLock()) {
            throw new IllegalStateException("this session is busy with another request; open another session for concurrent requests");
        }
        try {
            return body.run();
        } finally {
            busy.unlock();
        }
    }

    /** Releases the state (the shared model stays open). */
    @Override
    public void close() {
        cache.clear();
    }
}
