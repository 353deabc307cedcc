package dev.qwen4j.model;

import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.gguf.GgufWriter;
import dev.qwen4j.tensor.Kernels;
import dev.qwen4j.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Loads a GGUF model: reads the hyperparameters from the metadata, picks the model family by
 * {@code general.architecture}, and checks every tensor's presence, type and shape before returning.
 */
public final class Models {
    public static final List<String> SUPPORTED_ARCHITECTURES = List.of("qwen2", "qwen3", "qwen35");

    private Models() {
    }

    public static LanguageModel load(Path gguf) throws IOException {
        return load(gguf, LoadOptions.defaults());
    }

    /** A GGUF file, or a Hugging Face checkpoint folder (converted on the fly, see {@link dev.qwen4j.convert.CheckpointLoader}). */
    public static LanguageModel load(Path path, LoadOptions options) throws IOException {
        if (java.nio.file.Files.isDirectory(path)) return dev.qwen4j.convert.CheckpointLoader.load(path, options);
        GgufFile gguf = GgufFile.open(path);
        Kernels kernels = null;
        try {
            String arch = gguf.getString("general.architecture", null);
            if (arch == null || !SUPPORTED_ARCHITECTURES.contains(arch)) {
                throw new InvalidModelException(path + ": architecture " + (arch == null ? "(missing general.architecture)" : "'" + arch + "'")
                        + " is not supported; qwen4j runs " + String.join(", ", SUPPORTED_ARCHITECTURES));
            }
            ModelConfig config = config(gguf);
            kernels = Kernels.create(options.threads());
            return switch (arch) {
                case "qwen2" -> Qwen2Model.load(gguf, config, kernels, options);
                case "qwen3" -> Qwen3Model.load(gguf, config, kernels, options);
                default -> Qwen35Model.load(gguf, config, deltaNetConfig(gguf), kernels, options);
            };
        } catch (RuntimeException e) {
            if (kernels != null) kernels.close();
            gguf.close();
            throw e;
        }
    }

    /** Hyperparameters from {@code <arch>.*} keys (QWEN_SPEC.md §3.3, §4.1); the vocabulary size from the token list. */
    public static ModelConfig config(GgufFile gguf) {
        String arch = gguf.architecture();
        String k = arch + ".";
        int hidden = gguf.getInt(k + "embedding_length");
        int heads = gguf.getInt(k + "attention.head_count");
        int headDim = gguf.getInt(k + "attention.key_length", hidden / Math.max(heads, 1));
        int valueDim = gguf.getInt(k + "attention.value_length", headDim);
        if (valueDim != headDim) {
            throw new InvalidModelException("invalid hyperparameters: attention.value_length " + valueDim + " differs from key_length " + headDim);
        }
        int layers = gguf.getInt(k + "block_count") - gguf.getInt(k + "nextn_predict_layers", 0);
        String[] tokens = gguf.getStringArray("tokenizer.ggml.tokens");
        int vocab = tokens != null ? tokens.length
                : Math.toIntExact(gguf.findTensor("token_embd.weight").map(Tensor::rows).orElse(0L));
        return new ModelConfig(arch, vocab, gguf.getInt(k + "context_length"), hidden, layers,
                gguf.getInt(k + "feed_forward_length"), heads, gguf.getInt(k + "attention.head_count_kv", heads), headDim,
                gguf.getInt(k + "rope.dimension_count", headDim), gguf.getDouble(k + "rope.freq_base", 10000.0),
                (float) gguf.getDouble(k + "attention.layer_norm_rms_epsilon", 1e-6));
    }

    /** Gated DeltaNet hyperparameters of a {@code qwen35} file (QWEN_SPEC.md §4.1). */
    public static DeltaNetConfig deltaNetConfig(GgufFile gguf) {
        String k = gguf.architecture() + ".";
        int valueHeads = gguf.getInt(k + "ssm.time_step_rank");
        int inner = gguf.getInt(k + "ssm.inner_size");
        if (valueHeads <= 0 || inner % valueHeads != 0) {
            throw new InvalidModelException("invalid hyperparameters: ssm.inner_size " + inner + " is not a multiple of ssm.time_step_rank " + valueHeads);
        }
        return new DeltaNetConfig(gguf.getInt(k + "ssm.group_count"), valueHeads, gguf.getInt(k + "ssm.state_size"),
                inner / valueHeads, gguf.getInt(k + "ssm.conv_kernel"), gguf.getInt(k + "full_attention_interval", 4));
    }

    /**
     * Writes the {@code <arch>.*} hyperparameter keys that {@link #config} and {@link #deltaNetConfig} read back
     * (QWEN_SPEC.md §3.3, §4.8.3) — the one writer for converted and synthetic files. Qwen2 files carry no
     * key/value length when it is hidden / heads (as real Qwen2.5 GGUFs); {@code mtpLayers} MTP blocks are counted
     * in {@code block_count} and named in {@code nextn_predict_layers}.
     */
    public static void writeHyperparameters(GgufWriter w, ModelConfig c, DeltaNetConfig d, int[] ropeSections, int mtpLayers) {
        String k = c.architecture() + ".";
        w.putUInt32(k + "context_length", c.contextLength());
        w.putUInt32(k + "embedding_length", c.hidden());
        w.putUInt32(k + "block_count", c.layers() + mtpLayers);
        w.putUInt32(k + "feed_forward_length", c.ffn());
        w.putUInt32(k + "attention.head_count", c.heads());
        w.putUInt32(k + "attention.head_count_kv", c.kvHeads());
        w.putFloat32(k + "rope.freq_base", (float) c.ropeTheta());
        w.putFloat32(k + "attention.layer_norm_rms_epsilon", c.rmsEps());
        if (!c.architecture().equals("qwen2") || c.headDim() * c.heads() != c.hidden()) {
            w.putUInt32(k + "attention.key_length", c.headDim());
            w.putUInt32(k + "attention.value_length", c.headDim());
        }
        if (d != null) {
            w.putUInt32(k + "rope.dimension_count", c.ropeDims());
            w.putInt32s(k + "rope.dimension_sections", ropeSections);
            w.putUInt32(k + "ssm.conv_kernel", d.convKernel());
            w.putUInt32(k + "ssm.state_size", d.keyHeadDim());
            w.putUInt32(k + "ssm.group_count", d.keyHeads());
            w.putUInt32(k + "ssm.time_step_rank", d.valueHeads());
            w.putUInt32(k + "ssm.inner_size", d.valueDim());
            w.putUInt32(k + "full_attention_interval", d.fullAttentionInterval());
            if (mtpLayers > 0) w.putUInt32(k + "nextn_predict_layers", mtpLayers);
        }
    }

    /** The parts every family shares: embedding, final norm, output head (tied to the embedding when absent). */
    static Decoder assemble(GgufFile gguf, ModelConfig c, Kernels kernels, WeightReader w, List<DecoderLayer> layers,
                            Decoder.StateLayout layout, LoadOptions options) {
        return assemble(gguf, c, kernels, w, layers, layout, options, null);
    }

    /** As above, with a draft head (Qwen3.5 MTP) that shares the embedding and output head unless it has its own. */
    static Decoder assemble(GgufFile gguf, ModelConfig c, Kernels kernels, WeightReader w, List<DecoderLayer> layers,
                            Decoder.StateLayout layout, LoadOptions options, DraftHead.Parts draft) {
        Tensor embedding = w.table("token_embd.weight", c.hidden(), c.vocabSize());
        Tensor output = w.has("output.weight") ? w.matrix("output.weight", c.hidden(), c.vocabSize()) : w.product(embedding);
        kernels.prepare(w.products());
        return new Decoder(c, gguf, kernels, embedding, layers, w.vector("output_norm.weight", c.hidden()), output, layout, options,
                draft == null ? null : draft.with(embedding, output));
    }
}
