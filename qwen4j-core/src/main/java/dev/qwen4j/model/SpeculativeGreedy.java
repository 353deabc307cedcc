package dev.qwen4j.model;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * Greedy decoding that verifies drafted tokens in batches: the pending token and k drafts (from a
 * {@link Drafter}: n-gram lookup, or the model's draft head) go through one forward pass with every position's logits; drafts are accepted while
 * each equals the argmax after its predecessor, and the argmax after the last accepted one is the next token.
 * The output is the greedy output token for token, whatever the drafts; only the number of weight passes
 * changes (a batch of k + 1 reads the weights once, like a single token does).
 *
 * <p>Rejected drafts are taken back by {@link ModelState#truncate}: at once when the model has no recurrent state
 * or the state keeps the pass's trail ({@link ModelState#keepTrail}, Qwen3.5), else by restoring a checkpoint taken
 * before the batch and feeding the accepted tokens again. Drafting pauses for a while after a draft that was
 * rejected outright, since the pass still cost more than a single token's.
 *
 * <p>Draft length: a verify pass costs what a product over k + 1 tokens costs. The batched kernels work on
 * tiles of four tokens, so {@code maxDraft} 3 (a pass of 4 tokens, measured ~1.3× a single-token pass on
 * Qwen3.5-0.8B Q8_0) or 7 pay off best. "Identical" means identical to this engine's greedy decoding: a batch
 * and a single token run the same arithmetic per token, up to the last-bit noise of JIT-compiled reductions.
 */
public final class SpeculativeGreedy {
    private final LanguageModel model;
    private final Drafter drafter;
    private final int maxDraft;

    /** What a run did: tokens produced, forward passes, drafted and accepted tokens. */
    public record Stats(int generated, int forwardPasses, int drafted, int accepted) {
        public double acceptanceRate() {
            return drafted == 0 ? 0 : (double) accepted / drafted;
        }
    }

    public SpeculativeGreedy(LanguageModel model, Drafter drafter, int maxDraft) {
        if (maxDraft < 1) throw new IllegalArgumentException("maxDraft must be at least 1, got " + maxDraft);
        this.model = model;
        this.drafter = drafter;
        this.maxDraft = maxDraft;
    }

    /**
     * Continues {@code history[0 .. length)} greedily. {@code state} must hold exactly those tokens and
     * {@code logits} the logits after the last of them. Each new token goes to {@code onToken}, which returns
     * false to stop; at most {@code maxTokens} tokens. As in a plain decode loop, the state ends holding every
     * emitted token but the last.
     */
    public Stats generate(ModelState state, int[] history, int length, float[] logits, int maxTokens, IntPredicate onToken) {
        if (state.position() != length) {
            throw new IllegalArgumentException("state holds " + state.position() + " tokens, history has " + length);
        }
        int vocab = model.vocabSize();
        int[] text = Arrays.copyOf(history, Math.max(16, length + maxTokens + 1));
        int[] batch = new int[maxDraft + 1];
        int[] draft = new int[maxDraft];
        float[] rows = new float[(maxDraft + 1) * vocab];
        float[] scratch = new float[vocab];
        boolean trailed = state.keepTrail(maxDraft + 1);
        int next = argmax(logits, 0, vocab);
        int generated = 0, passes = 0, drafted = 0, accepted = 0, pause = 0;
        while (true) {
            text[length++] = next;
            generated++;
            if (!onToken.test(next) || generated >= maxTokens) break;
            int room = Math.min(maxTokens - generated, state.capacity() - state.position() - 1);
            int k = pause > 0 ? 0 : drafter.draft(state, text, length, Math.min(maxDraft, room), draft);
            if (pause > 0) pause--;
            batch[0] = next;
            System.arraycopy(draft, 0, batch, 1, k);
            int start = state.position();
            ModelState.Checkpoint checkpoint = k > 0 && !trailed ? state.checkpoint() : null;
            model.forward(state, batch, 0, k + 1, rows, k > 0);
            passes++;
            drafted += k;
            int j = 0;
            while (j < k && argmax(rows, j * vocab, vocab) == draft[j]) j++;
            int stopAt = -1;                       // drafts accepted but the caller stopped inside them
            for (int i = 0; i < j && stopAt < 0; i++) {
                text[length++] = draft[i];
                generated++;
                accepted++;
                if (!onToken.test(draft[i]) || generated >= maxTokens) stopAt = i;
            }
            // Keep fed: the pending token and the accepted drafts before the last emitted one.
            int keep = stopAt >= 0 ? stopAt + 1 : j + 1;
            if (keep < k + 1) {
                passes += rewind(state, checkpoint, start, batch, keep, scratch);
            }
            if (stopAt >= 0) break;
            next = argmax(rows, j * vocab, vocab);
            if (k > 0 && j == 0) pause = 4;
        }
        return new Stats(generated, passes, drafted, accepted);
    }

    /** Back to {@code start + keep} positions; returns the forward passes it took (0 or 1). */
    private int rewind(ModelState state, ModelState.Checkpoint checkpoint, int start, int[] batch, int keep, float[] scratch) {
        if (start + keep >= state.truncateFloor()) {
            state.truncate(start + keep);
            return 0;
        }
        state.restore(checkpoint);
        model.forward(state, batch, 0, keep, scratch, false);
        return 1;
    }

    /** The first index of the largest value in {@code x[off .. off + n)}: greedy decoding's choice. */
    static int argmax(float[] x, int off, int n) {
        int best = 0;
        float max = x[off];
        for (int i = 1; i < n; i++) {
            if (x[off + i] > max) {
                max = x[off + i];
                best = i;
            }
        }
        return best;
    }
}
