package dev.qwen4j.generate;

import dev.qwen4j.model.ContextOverflowException;
import dev.qwen4j.model.LanguageModel;
import dev.qwen4j.model.ModelState;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A deterministic stand-in for a model. Its "recurrent state" is a running hash of every token fed (like
 * DeltaNet, it cannot be rewound without a checkpoint), and logits are pseudo-random numbers seeded by that
 * hash — so any mistake in rewinding, restoring or feeding changes the output. It also checks the checkpoint
 * contract: restoring a checkpoint whose prefix has since been overwritten throws.
 *
 * <p>Behaviour knobs: {@code turnLength} makes {@code <|im_end|>} win once that many tokens follow the last
 * {@code <|im_start|>} (0 = never); {@code hybrid} false makes the state truncatable like pure attention;
 * {@code loopPeriod} &gt; 0 makes the model cycle through that many letters instead.
 */
final class FakeModel implements LanguageModel {
    final boolean hybrid;
    final int turnLength;
    int loopPeriod;
    /** Tokens that went through forward, all states together. */
    final AtomicLong processed = new AtomicLong();

    FakeModel(boolean hybrid, int turnLength) {
        this.hybrid = hybrid;
        this.turnLength = turnLength;
    }

    @Override
    public String architecture() {
        return hybrid ? "fake-hybrid" : "fake-attention";
    }

    @Override
    public int vocabSize() {
        return FakeVocabulary.MODEL_ROWS;
    }

    @Override
    public int trainedContextLength() {
        return 4096;
    }

    @Override
    public ModelState newState(int contextSize) {
        return new State(contextSize);
    }

    @Override
    public void forward(ModelState modelState, int[] tokens, int offset, int count, float[] logits, boolean allLogits) {
        State s = (State) modelState;
        if (s.position + count > s.capacity) throw new ContextOverflowException(s.position, count, s.capacity);
        for (int i = 0; i < count; i++) {
            int t = tokens[offset + i];
            s.tokens[s.position] = t;
            s.hash = mix(s.hash, t);
            s.sinceTurnStart = t == FakeVocabulary.IM_START ? 0 : s.sinceTurnStart + 1;
            s.position++;
            s.prefixHash[s.position] = s.hash;
            if (allLogits || i == count - 1) writeLogits(s, logits, allLogits ? i * vocabSize() : 0);
        }
        processed.addAndGet(count);
    }

    private void writeLogits(State s, float[] logits, int at) {
        SplittableRandom r = new SplittableRandom(s.hash);
        for (int v = 0; v < vocabSize(); v++) logits[at + v] = (float) r.nextGaussian();
        for (int v = 0; v <= FakeVocabulary.END_TOOL_CALL; v++) logits[at + v] = -30f; // specials: never on their own
        if (loopPeriod > 0) {
            int last = s.tokens[s.position - 1];
            int next = FakeVocabulary.LETTER_A + (Math.floorMod(last - FakeVocabulary.LETTER_A, loopPeriod) + 1) % loopPeriod;
            logits[at + next] = 50f;
        }
        if (turnLength > 0 && s.sinceTurnStart >= turnLength) logits[at + FakeVocabulary.IM_END] = 100f;
        logits[at + FakeVocabulary.MODEL_ROWS - 1] = 1000f; // an unused row with the largest logit: must be masked
    }

    static long mix(long h, int t) {
        long x = (h ^ (t + 0x9E3779B97F4A7C15L)) * 0xBF58476D1CE4E5B9L;
        return x ^ (x >>> 31);
    }

    @Override
    public void close() {
    }

    final class State implements ModelState {
        final int capacity;
        final int[] tokens;
        /** prefixHash[p] = hash after the first p tokens: lets a restore check its prefix is unchanged. */
        final long[] prefixHash;
        int position;
        long hash;
        int sinceTurnStart;

        State(int capacity) {
            this.capacity = capacity;
            this.tokens = new int[capacity];
            this.prefixHash = new long[capacity + 1];
        }

        @Override
        public int position() {
            return position;
        }

        @Override
        public int capacity() {
            return capacity;
        }

        record Snapshot(int position, long hash, int sinceTurnStart) implements Checkpoint {
            @Override
            public long byteSize() {
                return 1000;
            }
        }

        @Override
        public Checkpoint checkpoint() {
            return new Snapshot(position, hash, sinceTurnStart);
        }

        @Override
        public void restore(Checkpoint checkpoint) {
            Snapshot c = (Snapshot) checkpoint;
            if (c.position > 0 && prefixHash[c.position] != c.hash) {
                throw new IllegalStateException("stale checkpoint at " + c.position + ": its prefix was overwritten");
            }
            position = c.position;
            hash = c.hash;
            sinceTurnStart = c.sinceTurnStart;
        }

        @Override
        public boolean canTruncate() {
            return !hybrid;
        }

        @Override
        public void truncate(int p) {
            if (hybrid) throw new UnsupportedOperationException("recurrent state cannot be truncated");
            if (p > position) throw new IllegalArgumentException("truncate forward");
            position = p;
            hash = prefixHash[p];
            sinceTurnStart = 0;
            for (int i = 0; i < p; i++) sinceTurnStart = tokens[i] == FakeVocabulary.IM_START ? 0 : sinceTurnStart + 1;
        }

        @Override
        public void reset() {
            position = 0;
            hash = 0;
            sinceTurnStart = 0;
        }

        @Override
        public long byteSize() {
            return capacity * 12L;
        }

        @Override
        public void writeTo(DataOutput out) throws IOException {
            out.writeInt(position);
            for (int i = 0; i < position; i++) out.writeInt(tokens[i]);
            out.writeLong(hash);
            out.writeInt(sinceTurnStart);
        }

        @Override
        public void readFrom(DataInput in) throws IOException {
            int p = in.readInt();
            if (p > capacity) throw new IOException("state of " + p + " positions does not fit " + capacity);
            long h = 0;
            for (int i = 0; i < p; i++) {
                tokens[i] = in.readInt();
                h = mix(h, tokens[i]);
                prefixHash[i + 1] = h;
            }
            position = p;
            hash = in.readLong();
            sinceTurnStart = in.readInt();
            if (hash != h) throw new IOException("corrupt state");
        }

        @Override
        public String toString() {
            return "State@" + position + Arrays.toString(Arrays.copyOf(tokens, position));
        }
    }
}
