package dev.qwen4j.generate;

import dev.qwen4j.model.ModelState;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The tokens a {@link ModelState} has processed, plus checkpoints along them, so that a new prompt resumes from
 * the longest prefix it shares with what was processed before and only the new tokens go through the model.
 *
 * <p>Attention KV can be cut back to any prefix, but Qwen3.5's DeltaNet state cannot: it only moves forward.
 * So on a hybrid model we keep {@link ModelState.Checkpoint}s (the position plus a copy of the recurrent state)
 * at useful places — where a chat turn starts (the next turn re-renders history from there, QWEN_SPEC.md §6.5),
 * at the end of each answer, and every {@code interval} tokens — and resume from the latest one
 * inside the shared prefix. A pure-attention model is simply truncated to the shared prefix.
 */
public final class PromptCache {

    /**
     * @param interval       take a checkpoint every this many tokens (≤ 0: only at turn boundaries)
     * @param maxCheckpoints the most checkpoints kept at once
     * @param maxBytes       the most memory all checkpoints may hold together
     */
    public record Options(int interval, int maxCheckpoints, long maxBytes) {
        public static Options defaults() {
            return new Options(1024, 8, 512L << 20);
        }

        /** No reuse at all: every prompt is processed from the start (for comparisons and tests). */
        public static Options disabled() {
            return new Options(0, 0, 0);
        }

        public boolean enabled() {
            return maxCheckpoints > 0;
        }
    }

    /** Why a checkpoint was taken; decides which ones are evicted first and where a saved session resumes. */
    public enum Kind {
        /** Every {@code interval} tokens: evicted first. */
        PERIODIC,
        /** A place a later prompt is likely to diverge at (the start of the latest answer). */
        TURN_START,
        /** The end of an answer (a continuation that keeps the answer as generated resumes here). */
        END
    }

    private record Entry(ModelState.Checkpoint checkpoint, Kind kind) {
        int position() {
            return checkpoint.position();
        }
    }

    private final ModelState state;
    private final Options options;
    private final List<Entry> checkpoints = new ArrayList<>();
    private int[] tokens = new int[256];
    private int length;

    public PromptCache(ModelState state, Options options) {
        this.state = state;
        this.options = options;
    }

    public ModelState state() {
        return state;
    }

    public Options options() {
        return options;
    }

    /** Tokens processed so far (equals {@code state().position()}). */
    public int length() {
        return length;
    }

    public int[] tokens() {
        return Arrays.copyOf(tokens, length);
    }

    public int checkpointCount() {
        return checkpoints.size();
    }

    public long checkpointBytes() {
        long sum = 0;
        for (Entry e : checkpoints) sum += e.checkpoint.byteSize();
        return sum;
    }

    /**
     * Rewinds the state for {@code prompt}: to the longest processed prefix of it that can be resumed, leaving at
     * least the last prompt token to process (its logits start the answer). Returns how many prompt tokens are
     * cached, i.e. the new position.
     */
    public int prepare(int[] prompt) {
        int shared = commonPrefix(prompt);
        int target = Math.min(shared, prompt.length - 1);
        if (!options.enabled()) target = 0;
        if (target == length) return length;
        if (state.canTruncate()) {
            state.truncate(target);
            length = target;
        } else {
            Entry best = null;
            for (Entry e : checkpoints) {
                if (e.position() <= target && (best == null || e.position() > best.position())) best = e;
            }
            if (best == null) {
                state.reset();
                length = 0;
            } else {
                state.restore(best.checkpoint);
                length = best.position();
            }
        }
        // Checkpoints past the new position become invalid as soon as different tokens are fed.
        checkpoints.removeIf(e -> e.position() > length);
        return length;
    }

    /** Whether checkpoints are worth taking (a state that can be truncated needs none). */
    public boolean keepsCheckpoints() {
        return options.enabled() && !state.canTruncate();
    }

    /** The next position (after {@code from}) where a periodic checkpoint is due, or MAX_VALUE. */
    public int nextPeriodicCheckpoint(int from) {
        if (!keepsCheckpoints() || options.interval() <= 0) return Integer.MAX_VALUE;
        return (from / options.interval() + 1) * options.interval();
    }

    /** Records tokens the model has just processed (call after each successful forward). */
    public void appended(int[] source, int offset, int count) {
        if (length + count > tokens.length) tokens = Arrays.copyOf(tokens, Math.max(tokens.length * 2, length + count));
        System.arraycopy(source, offset, tokens, length, count);
        length += count;
        if (state.position() != length) {
            throw new IllegalStateException("prompt cache out of step: state at " + state.position() + ", cache at " + length);
        }
    }

    /**
     * After the caller rewound the state itself (to drop drafted tokens it did not keep): forgets the tokens
     * past the state's position and the checkpoints after it.
     */
    public void rewound() {
        if (state.position() > length) throw new IllegalStateException("state at " + state.position() + " is past the cache at " + length);
        length = state.position();
        checkpoints.removeIf(e -> e.position() > length);
    }

    /** Checkpoints the current position (if this state needs checkpoints and none exists here yet). */
    public void checkpoint(Kind kind) {
        if (!keepsCheckpoints() || length == 0) return;
        for (int i = 0; i < checkpoints.size(); i++) {
            Entry e = checkpoints.get(i);
            if (e.position() != length) continue;
            if (kind == Kind.TURN_START && e.kind != Kind.TURN_START) checkpoints.set(i, new Entry(e.checkpoint, kind));
            return;
        }
        checkpoints.add(new Entry(state.checkpoint(), kind));
        while (checkpoints.size() > options.maxCheckpoints() || (checkpoints.size() > 1 && checkpointBytes() > options.maxBytes())) {
            evictOne();
        }
    }

    /** Forgets everything (after an error left the state in an unknown place, or on /clear). */
    public void clear() {
        state.reset();
        length = 0;
        checkpoints.clear();
    }

    /** After the state was loaded from a file holding {@code processed}: those tokens, one checkpoint at the end. */
    public void loaded(int[] processed) {
        checkpoints.clear();
        length = 0;
        if (tokens.length < processed.length) tokens = new int[processed.length];
        System.arraycopy(processed, 0, tokens, 0, processed.length);
        length = processed.length;
        if (state.position() != length) {
            throw new IllegalStateException("saved state holds " + state.position() + " positions but " + length + " tokens");
        }
        checkpoint(Kind.END);
    }

    /**
     * The latest turn-start checkpoint, or null: a saved session is written as of this point, because the next
     * turn's prompt re-renders the answer after it anyway and a recurrent state cannot be rewound after loading.
     */
    public ModelState.Checkpoint latestTurnStart() {
        Entry best = null;
        for (Entry e : checkpoints) {
            if (e.kind == Kind.TURN_START && (best == null || e.position() > best.position())) best = e;
        }
        return best == null ? null : best.checkpoint;
    }

    private int commonPrefix(int[] prompt) {
        int n = Math.min(length, prompt.length);
        int i = 0;
        while (i < n && tokens[i] == prompt[i]) i++;
        return i;
    }

    /** Drops the oldest periodic checkpoint, else the oldest: recent turn boundaries are what the next turn needs. */
    private void evictOne() {
        int victim = -1;
        for (int i = 0; i < checkpoints.size(); i++) {
            Entry e = checkpoints.get(i);
            if (e.kind == Kind.PERIODIC && (victim < 0 || e.position() < checkpoints.get(victim).position())) victim = i;
        }
        if (victim < 0) {
            for (int i = 0; i < checkpoints.size(); i++) {
                if (victim < 0 || checkpoints.get(i).position() < checkpoints.get(victim).position()) victim = i;
            }
        }
        checkpoints.remove(victim);
    }
}
