package dev.qwen4j.generate;

import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;

/**
 * Picks the next token from a logit vector in the order of QWEN_SPEC.md §7.2: mask → repetition penalty →
 * presence/frequency penalty → temperature (0 = argmax) → top-k → softmax → top-p → min-p → draw.
 * One sampler serves one response: it counts the tokens of that response for the presence/frequency penalties.
 * Same parameters, seed and logits ⇒ same choices.
 */
public final class Sampler {
    /** Above this k, a full sort is cheaper than insertion into the running top-k list. */
    private static final int INSERTION_TOP_K_LIMIT = 128;
    /** Logit distance (in units of T) beyond which a token's probability is negligible: e^-40 of the best one. */
    private static final float NEGLIGIBLE_LOGIT_GAP = 40f;

    private final SamplingParams params;
    private final long seed;
    private final SplittableRandom random;
    private final BitSet banned;
    private final int vocabSize;

    /** Tokens of this response (presence/frequency penalties) and of the whole context (repetition penalty). */
    private final TokenCounts response;
    private final TokenCounts context;

    private int[] candidateIds = new int[0];
    private float[] candidateValues = new float[0];
    private long[] sortKeys = new long[0];

    /**
     * @param vocabSize the length of the logit vector
     * @param banned    ids never to produce (unused padding rows, ids beyond the tokenizer); may be null
     * @param seed      the seed to use when {@code params.seed()} is null
     */
    public Sampler(SamplingParams params, int vocabSize, BitSet banned, long seed) {
        this.params = params;
        this.vocabSize = vocabSize;
        this.banned = banned;
        this.seed = params.seed() != null ? params.seed() : seed;
        this.random = new SplittableRandom(this.seed);
        this.response = new TokenCounts(vocabSize, params.penaltyWindow());
        this.context = new TokenCounts(vocabSize, params.penaltyWindow());
    }

    public SamplingParams params() {
        return params;
    }

    /** The seed actually used (reported so that a sampled run can be repeated). */
    public long seed() {
        return seed;
    }

    /** Records a token of this response (sampled or forced) for the presence/frequency penalties. */
    public void accept(int token) {
        response.add(token);
    }

    /**
     * Chooses the next token. {@code logits[0 .. vocabSize)} is used as scratch and overwritten.
     * {@code context[0 .. contextLength)} (prompt + response so far) feeds the repetition penalty.
     */
    public int sample(float[] logits, int[] context, int contextLength) {
        mask(logits);
        if (params.repetitionPenalty() != 1f) applyRepetitionPenalty(logits, context, contextLength);
        if (params.presencePenalty() != 0f || params.frequencyPenalty() != 0f) applyPresenceAndFrequency(logits);
        if (params.isGreedy()) return argmax(logits, vocabSize);

        float invTemperature = 1f / params.temperature();
        int n = selectCandidates(logits);
        if (n == 0) return argmax(logits, vocabSize); // everything masked: nothing sensible left to draw from
        // Softmax over the survivors, largest first (candidates are sorted descending).
        double max = candidateValues[0] * (double) invTemperature;
        double[] probs = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            probs[i] = Math.exp(candidateValues[i] * (double) invTemperature - max);
            sum += probs[i];
        }
        // top-p: the smallest prefix whose probability reaches top_p (at least one token).
        int keep = n;
        if (params.topP() < 1f) {
            double cumulative = 0;
            double target = params.topP() * sum;
            for (int i = 0; i < n; i++) {
                cumulative += probs[i];
                if (cumulative >= target) {
                    keep = i + 1;
                    break;
                }
            }
        }
        // min-p: relative to the most likely token.
        if (params.minP() > 0f) {
            double threshold = params.minP() * probs[0];
            int k = 1;
            while (k < keep && probs[k] >= threshold) k++;
            keep = k;
        }
        double total = 0;
        for (int i = 0; i < keep; i++) total += probs[i];
        double r = random.nextDouble() * total;
        for (int i = 0; i < keep; i++) {
            r -= probs[i];
            if (r < 0) return candidateIds[i];
        }
        return candidateIds[keep - 1];
    }

    private void mask(float[] logits) {
        if (banned == null) return;
        for (int id = banned.nextSetBit(0); id >= 0 && id < vocabSize; id = banned.nextSetBit(id + 1)) {
            logits[id] = Float.NEGATIVE_INFINITY;
        }
    }

    private void applyRepetitionPenalty(float[] logits, int[] tokens, int length) {
        // The context only grows while a response is generated: count just the new tokens.
        if (length < context.length()) context.clear();
        for (int i = context.length(); i < length; i++) context.add(tokens[i]);
        float rho = params.repetitionPenalty();
        context.forEach((id, count) -> {
            float z = logits[id];
            logits[id] = z > 0 ? z / rho : z * rho;
            return 0;
        });
    }

    private void applyPresenceAndFrequency(float[] logits) {
        float presence = params.presencePenalty();
        float frequency = params.frequencyPenalty();
        response.forEach((id, count) -> {
            logits[id] -= presence + frequency * count;
            return 0;
        });
    }

    /** Greedy choice: the largest logit, ties to the lowest id. All NaN means the model is broken: that throws. */
    static int argmax(float[] logits, int n) {
        int best = -1;
        float bestValue = 0;
        for (int i = 0; i < n; i++) {
            float v = logits[i];
            if (v != v) continue; // NaN never wins
            if (best < 0 || v > bestValue) { // strict >: the lowest id keeps a tie
                best = i;
                bestValue = v;
            }
        }
        if (best < 0 && n > 0) {
            throw new IllegalStateException("the model produced NaN logits: its weights or hyperparameters are broken");
        }
        return Math.max(best, 0);
    }

    /** Fills candidateIds/Values with the top-k finite logits, sorted descending (ties: lower id first). */
    private int selectCandidates(float[] logits) {
        int k = params.topK() > 0 ? Math.min(params.topK(), vocabSize) : vocabSize;
        if (k <= INSERTION_TOP_K_LIMIT) return selectByInsertion(logits, k);
        return selectBySort(logits, k);
    }

    private int selectByInsertion(float[] logits, int k) {
        ensureCandidateCapacity(k);
        int n = 0;
        for (int id = 0; id < vocabSize; id++) {
            float v = logits[id];
            if (v == Float.NEGATIVE_INFINITY || v != v) continue;
            if (n == k && v <= candidateValues[n - 1]) continue; // equal value, higher id: loses the tie
            int pos = n < k ? n++ : n - 1;
            while (pos > 0 && candidateValues[pos - 1] < v) {
                candidateValues[pos] = candidateValues[pos - 1];
                candidateIds[pos] = candidateIds[pos - 1];
                pos--;
            }
            candidateValues[pos] = v;
            candidateIds[pos] = id;
        }
        return n;
    }

    /**
     * Full sort of the plausible tokens. Tokens more than {@link #NEGLIGIBLE_LOGIT_GAP}·T below the best one
     * have a probability under e^-40 relative to it and are left out, which keeps the sort small when k is large
     * or unlimited on a 250k vocabulary.
     */
    private int selectBySort(float[] logits, int k) {
        float max = Float.NEGATIVE_INFINITY;
        for (int id = 0; id < vocabSize; id++) if (logits[id] > max) max = logits[id];
        float floor = max - NEGLIGIBLE_LOGIT_GAP * params.temperature();
        if (sortKeys.length < vocabSize) sortKeys = new long[vocabSize];
        int n = 0;
        for (int id = 0; id < vocabSize; id++) {
            float v = logits[id];
            if (!(v >= floor) || v == Float.NEGATIVE_INFINITY) continue; // also skips NaN
            int bits = Float.floatToIntBits(v);
            int ordered = bits ^ ((bits >> 31) & 0x7fffffff); // monotone in v as a signed int
            sortKeys[n++] = ((long) ~ordered << 32) | id;      // ascending key = descending value, then ascending id
        }
        Arrays.sort(sortKeys, 0, n);
        int m = Math.min(n, k);
        ensureCandidateCapacity(m);
        for (int i = 0; i < m; i++) {
            int id = (int) sortKeys[i];
            candidateIds[i] = id;
            candidateValues[i] = logits[id];
        }
        return m;
    }

    private void ensureCandidateCapacity(int k) {
        if (candidateIds.length < k) {
            candidateIds = new int[k];
            candidateValues = new float[k];
        }
    }
}
