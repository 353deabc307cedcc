package dev.qwen4j.model;

import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.tensor.Kernels;
import dev.qwen4j.tensor.Tensor;

import java.util.List;
import java.util.Objects;

/**
 * A Qwen decoder-only transformer: embedding, a stack of {@link DecoderLayer}s, final norm, output head. The model
 * families ({@link Qwen2Model}, {@link Qwen3Model}, {@link Qwen35Model}) differ only in the layers they build.
 * Weights are read-only views of the mapped file; everything mutable lives in {@link DecoderState}.
 */
final class Decoder implements LanguageModel {
    /**
     * Prompt tokens per batch: bounds the scratch memory while keeping matmuls wide. A prompt product over quantized
     * weights converts each group of them once per chunk (reading it from memory), so 128 tokens halve that cost
     * against 64. Float weights ({@link #FLOAT_CHUNK}) need no conversion, and their tiles ran ~10% slower per token
     * at 128 than at 64 (the F16 down projection, measured per CPU-second), so they keep 64.
     */
    static final int CHUNK = 128;
    static final int FLOAT_CHUNK = 64;

    /** This model's prompt chunk: {@link #CHUNK}, or {@link #FLOAT_CHUNK} when its layers' weights are floats. */
    private final int chunk;

    /** What a state must hold: attention KV caches and Gated DeltaNet states, by slot. */
    record StateLayout(int attentionLayers, int kvDim, int deltaNetLayers, DeltaNetConfig deltaNet, Activations.Sizes sizes) {
    }

    private final ModelConfig config;
    private final GgufFile file;
    private final Kernels kernels;
    private final Tensor tokenEmbedding;
    private final List<DecoderLayer> layers;
    private final float[] outputNorm;
    private final Tensor output;
    private final StateLayout layout;
    private final LoadOptions options;
    private final DraftHead draftHead;

    Decoder(ModelConfig config, GgufFile file, Kernels kernels, Tensor tokenEmbedding, List<DecoderLayer> layers,
            float[] outputNorm, Tensor output, StateLayout layout, LoadOptions options, DraftHead draftHead) {
        this.config = config;
        this.file = file;
        this.kernels = kernels;
        this.tokenEmbedding = tokenEmbedding;
        this.layers = List.copyOf(layers);
        this.outputNorm = outputNorm;
        this.output = output;
        this.layout = layout;
        this.options = options;
        this.draftHead = draftHead;
        GgmlType down = this.layers.get(0).ffn().down().type();
        this.chunk = down == GgmlType.F32 || down == GgmlType.F16 || down == GgmlType.BF16 ? FLOAT_CHUNK : CHUNK;
    }

    /** Prompt tokens per batch for this model (see {@link #CHUNK}). */
    int chunk() {
        return chunk;
    }

    public ModelConfig config() {
        return config;
    }

    @Override
    public String architecture() {
        return config.architecture();
    }

    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    @Override
    public int trainedContextLength() {
        return config.contextLength();
    }

    @Override
    public ModelState newState(int contextSize) {
        if (contextSize <= 0) throw new IllegalArgumentException("context size must be positive, got " + contextSize);
        long kvValues = (long) contextSize * layout.kvDim();
        if (kvValues > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("context size " + contextSize + " is too large for this model: at most "
                    + (Integer.MAX_VALUE - 8) / layout.kvDim() + " positions");
        }
        return new DecoderState(this, layout, options.kvCacheType(), contextSize);
    }

    @Override
    public void forward(ModelState modelState, int[] tokens, int offset, int count, float[] logits, boolean allLogits) {
        DecoderState state = own(modelState);
        Objects.checkFromIndexSize(offset, count, tokens.length);
        if (count <= 0) throw new IllegalArgumentException("forward needs at least one token");
        int vocab = config.vocabSize();
        for (int i = offset; i < offset + count; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocab) {
                throw new IllegalArgumentException("token id " + tokens[i] + " is outside the vocabulary (0.." + (vocab - 1) + ")");
            }
        }
        long needed = allLogits ? (long) count * vocab : vocab;
        if (logits.length < needed) throw new IllegalArgumentException("logits buffer holds " + logits.length + " floats, " + needed + " needed");
        if ((long) state.position() + count > state.capacity()) {
            throw new ContextOverflowException(state.position(), count, state.capacity());
        }
        state.beginPass(count);
        try {
            forwardChunks(state, tokens, offset, count, logits, allLogits);
        } finally {
            state.endPass();
        }
    }

    private void forwardChunks(DecoderState state, int[] tokens, int offset, int count, float[] logits, boolean allLogits) {
        Activations a = state.activations;
        int vocab = config.vocabSize();
        for (int done = 0; done < count; ) {
            int n = Math.min(a.chunk, count - done);
            int chunkStart = state.position();
            if (state.draft != null && done == 0) catchUpDraft(state, tokens[offset]);
            forwardChunk(state, tokens, offset + done, n);
            if (state.draft != null) draftRows(state, chunkStart, tokens, offset + done, n, done + n < count);
            if (allLogits && n == count) {
                outputHead(a, 0, n, logits);                  // one chunk (e.g. verifying drafts): no staging buffer
            } else if (allLogits) {
                float[] chunkLogits = a.allLogits(vocab);
                outputHead(a, 0, n, chunkLogits);
                System.arraycopy(chunkLogits, 0, logits, done * vocab, n * vocab);
            } else if (done + n == count) {
                outputHead(a, n - 1, 1, logits);
            }
            done += n;
        }
    }

    /** §3.1 / §4.3: embed, run every layer, advance the position. */
    private void forwardChunk(DecoderState state, int[] tokens, int offset, int n) {
        Activations a = state.activations;
        int hidden = config.hidden();
        for (int t = 0; t < n; t++) kernels.dequantizeRow(tokenEmbedding, tokens[offset + t], a.h, t * hidden);
        int start = state.position();
        for (DecoderLayer layer : layers) runLayer(layer, a, state, start, n);
        state.advance(n);
    }

    /** §3.1 / §4.3, one pre-norm layer over n rows of {@code a.h} at positions start..: h += mixer(norm(h)); h += ffn(norm(h)). */
    private void runLayer(DecoderLayer layer, Activations a, DecoderState state, int start, int n) {
        int hidden = config.hidden();
        RmsNorm.rows(kernels, a.h, layer.inputNorm(), config.rmsEps(), a.x, n);
        layer.mixer().forward(kernels, a, state, start, n);
        Linear.addInPlace(kernels, a.h, a.y, n, hidden);
        RmsNorm.rows(kernels, a.h, layer.ffnNorm(), config.rmsEps(), a.x, n);
        layer.ffn().apply(kernels, a, n);
        Linear.addInPlace(kernels, a.h, a.y, n, hidden);
    }

    @Override
    public boolean hasDraftHead() {
        return draftHead != null;
    }

    @Override
    public boolean enableDraftHead(ModelState modelState) {
        DecoderState state = own(modelState);
        if (draftHead == null) return false;
        state.enableDraft(config.hidden());
        return true;
    }

    @Override
    public int draftNext(ModelState modelState, int next) {
        float[] logits = draftLogits(own(modelState), next);
        return logits == null ? -1 : SpeculativeGreedy.argmax(logits, 0, config.vocabSize());
    }

    /**
     * The draft head's logits for the token after {@code next} (see {@link #draftNext}), or null when it cannot
     * guess: the head's block runs on the saved final hidden state of the state's last position with
     * {@code next}, then its norm and the output head.
     */
    float[] draftLogits(DecoderState state, int next) {
        if (draftHead == null || state.draft == null) return null;
        if (next < 0 || next >= config.vocabSize()) {
            throw new IllegalArgumentException("token id " + next + " is outside the vocabulary (0.." + (config.vocabSize() - 1) + ")");
        }
        DecoderState.DraftState d = state.draft;
        int last = state.position() - 1;
        if (!d.hasRow(last)) return null;
        d.dropFrom(last);                                   // a guess made before from this row, with another token
        runDraftBlock(state, last - d.rowsStart, new int[] {next}, 1);
        Activations a = d.activations;
        RmsNorm.apply(a.h, 0, draftHead.headNorm(), config.rmsEps(), a.x, 0, config.hidden());
        if (d.logits == null) d.logits = new float[config.vocabSize()];
        Linear.project(kernels, draftHead.output(), a.x, 1, d.logits);
        return d.logits;
    }

    /** Before a pass: the head's block over the previous pass's last row, whose next token is this pass's first. */
    private void catchUpDraft(DecoderState state, int firstToken) {
        DecoderState.DraftState d = state.draft;
        int last = state.position() - 1;
        if (d.hasRow(last) && !d.covers(last)) runDraftBlock(state, last - d.rowsStart, new int[] {firstToken}, 1);
    }

    /**
     * After a chunk: saves its final-normalised rows, and runs the head's block over those whose next token is
     * known (all but the last row of the whole pass).
     */
    private void draftRows(DecoderState state, int chunkStart, int[] tokens, int offset, int n, boolean moreToCome) {
        DecoderState.DraftState d = state.draft;
        Activations a = state.activations;
        int hidden = config.hidden();
        for (int t = 0; t < n; t++) RmsNorm.apply(a.h, t * hidden, outputNorm, config.rmsEps(), d.rows, t * hidden, hidden);
        d.rowsStart = chunkStart;
        d.rowsCount = n;
        int m = moreToCome ? n : n - 1;
        if (m > 0) runDraftBlock(state, 0, java.util.Arrays.copyOfRange(tokens, offset + 1, offset + 1 + m), m);
    }

    /**
     * The head's block over saved rows {@code row0 .. row0 + m} with their next tokens (§4.9): u = W_eh ·
     * [RMSNorm(embed(token); enorm) | RMSNorm(h; hnorm)], then the gated-attention layer on the head's own KV
     * cache; the results stay in the head's activations, its KV entries are recorded with their positions.
     */
    private void runDraftBlock(DecoderState state, int row0, int[] next, int m) {
        DecoderState.DraftState d = state.draft;
        Activations a = d.activations;
        int hidden = config.hidden();
        float eps = config.rmsEps();
        for (int r = 0; r < m; r++) {
            kernels.dequantizeRow(draftHead.embedding(), next[r], a.y, 0);
            RmsNorm.apply(a.y, 0, draftHead.embeddingNorm(), eps, d.pairs, 2 * r * hidden, hidden);
            RmsNorm.apply(d.rows, (row0 + r) * hidden, draftHead.hiddenNorm(), eps, d.pairs, (2 * r + 1) * hidden, hidden);
        }
        Linear.project(kernels, draftHead.ehProj(), d.pairs, m, a.h);
        int start = d.count;
        d.ensure(start + m);
        runLayer(draftHead.block(), a, state, start, m);
        for (int r = 0; r < m; r++) d.positions[start + r] = d.rowsStart + row0 + r;
        d.count = start + m;
    }

    /** logits of rows first..first+n-1 of the residual stream: W_out · RMSNorm(h; output_norm). */
    private void outputHead(Activations a, int first, int n, float[] out) {
        int hidden = config.hidden();
        for (int t = 0; t < n; t++) RmsNorm.apply(a.h, (first + t) * hidden, outputNorm, config.rmsEps(), a.x, t * hidden, hidden);
        Linear.project(kernels, output, a.x, n, out);
    }

    private DecoderState own(ModelState s) {
        if (s instanceof DecoderState d && d.model == this) return d;
        throw new IllegalArgumentException("this state was not created by this model");
    }

    @Override
    public void close() {
        kernels.close();
        file.close();
    }

    @Override
    public String toString() {
        return config.architecture() + " model, " + config.layers() + " layers, hidden " + config.hidden() + ", vocabulary "
                + config.vocabSize() + " (" + file.source() + ")";
    }
}
