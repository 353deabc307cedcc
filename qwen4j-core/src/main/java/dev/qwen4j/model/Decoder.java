package dev.qwen4j.model;

import dev.qwen4j.gguf.GgufFile;
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
    /** Prompt tokens per batch: bounds the scratch memory while keeping matmuls wide. */
    static final int CHUNK = 64;

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

    Decoder(ModelConfig config, GgufFile file, Kernels kernels, Tensor tokenEmbedding, List<DecoderLayer> layers,
            float[] outputNorm, Tensor output, StateLayout layout, LoadOptions options) {
        this.config = config;
        this.file = file;
        this.kernels = kernels;
        this.tokenEmbedding = tokenEmbedding;
        this.layers = List.copyOf(layers);
        this.outputNorm = outputNorm;
        this.output = output;
        this.layout = layout;
        this.options = options;
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
            forwardChunk(state, tokens, offset + done, n);
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
        for (DecoderLayer layer : layers) {
            RmsNorm.rows(a.h, layer.inputNorm(), config.rmsEps(), a.x, n);
            layer.mixer().forward(kernels, a, state, start, n);
            Linear.addInPlace(a.h, a.y, n * hidden);
            RmsNorm.rows(a.h, layer.ffnNorm(), config.rmsEps(), a.x, n);
            layer.ffn().apply(kernels, a, n);
            Linear.addInPlace(a.h, a.y, n * hidden);
        }
        state.advance(n);
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
