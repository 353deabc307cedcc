package dev.qwen4j.convert;

import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.json.Json;
import dev.qwen4j.testing.Fixtures;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes random-weight Hugging Face checkpoints with the real structure of each architecture (config.json,
 * tokenizer.json / tokenizer_config.json with the micro fixtures' 2048-token byte-level vocabulary, weights in
 * one or two safetensors shards) and keeps the stored values (after dtype rounding) for a reference forward pass.
 */
public final class HfFixture {
    /** Storage dtype of the weights ({@code A_log} stays F32, as in Qwen3.5 releases). */
    public enum Dtype { F32, F16, BF16 }

    /**
     * The model: qwen2 / qwen3 / qwen35 hyperparameters; for qwen35 the DeltaNet sizes, and whether the config is
     * the multimodal layout ({@code text_config}, {@code model.language_model.} names, MTP and vision tensors).
     */
    public record Shape(String arch, int vocab, int hidden, int layers, int ffn, int heads, int kvHeads, int headDim,
                        double partialRotary, double theta, boolean tied, int keyHeads, int valueHeads, int stateDim,
                        int convKernel, int interval, boolean multimodal) {
        public int ropeDims() {
            return (int) (headDim * partialRotary);
        }

        public boolean isFullAttention(int layer) {
            return !arch.equals("qwen35") || (layer + 1) % interval == 0;
        }

        public String prefix() {
            return multimodal ? "model.language_model." : "model.";
        }

        public Shape withTied(boolean t) {
            return new Shape(arch, vocab, hidden, layers, ffn, heads, kvHeads, headDim, partialRotary, theta, t, keyHeads, valueHeads,
                    stateDim, convKernel, interval, multimodal);
        }

        public Shape withMultimodal(boolean m) {
            return new Shape(arch, vocab, hidden, layers, ffn, heads, kvHeads, headDim, partialRotary, theta, tied, keyHeads, valueHeads,
                    stateDim, convKernel, interval, m);
        }
    }

    /** Row length 256 everywhere, so every quant type (K-quants too) applies to every matrix. */
    public static Shape qwen2() {
        return new Shape("qwen2", 2048, 256, 2, 512, 4, 2, 64, 1, 1e6, false, 0, 0, 0, 0, 1, false);
    }

    public static Shape qwen3() {
        return new Shape("qwen3", 2048, 256, 2, 512, 4, 2, 64, 1, 1e6, true, 0, 0, 0, 0, 1, false);
    }

    /** 3 DeltaNet layers and one gated-attention layer; 2 key heads and 4 value heads, so the V-head reorder matters. */
    public static Shape qwen35() {
        return new Shape("qwen35", 2048, 256, 4, 512, 2, 1, 128, 0.25, 1e7, false, 2, 4, 64, 4, 4, true);
    }

    /** A written checkpoint: its folder, shape and every tensor's stored values (HF names, PyTorch shapes). */
    public record Checkpoint(Path dir, Shape shape, Map<String, double[]> values, Map<String, long[]> shapes) {
    }

    private final Shape s;
    private final Dtype dtype;
    private final long seed;
    private final Map<String, double[]> values = new LinkedHashMap<>();
    private final Map<String, long[]> shapes = new LinkedHashMap<>();
    private final Map<String, Dtype> dtypes = new LinkedHashMap<>();

    private HfFixture(Shape s, Dtype dtype, long seed) {
        this.s = s;
        this.dtype = dtype;
        this.seed = seed;
    }

    public static Checkpoint write(Path dir, Shape shape, Dtype dtype, int shards, long seed) throws IOException {
        HfFixture f = new HfFixture(shape, dtype, seed);
        f.tensors();
        Files.createDirectories(dir);
        f.writeWeights(dir, shards);
        f.writeConfig(dir);
        writeTokenizer(dir, shape.arch());
        return new Checkpoint(dir, shape, f.values, f.shapes);
    }

    private void tensors() {
        String m = s.prefix();
        int h = s.hidden();
        boolean q35 = s.arch().equals("qwen35");
        matrix(m + "embed_tokens.weight", 0.02, s.vocab(), h);
        norm(m + "norm.weight", h, q35);
        if (!s.tied()) matrix("lm_head.weight", 0.02, s.vocab(), h);
        for (int l = 0; l < s.layers(); l++) layer(m + "layers." + l + ".", s.isFullAttention(l));
        if (s.multimodal()) {
            // the official checkpoints' MTP block (converted as layer L, §4.9), and a vision tensor (left out)
            matrix("mtp.fc.weight", 0.02, h, 2 * h);
            norm("mtp.pre_fc_norm_embedding.weight", h, true);
            norm("mtp.pre_fc_norm_hidden.weight", h, true);
            norm("mtp.norm.weight", h, true);
            layer("mtp.layers.0.", true);
            matrix("model.visual.patch_embed.proj.weight", 0.02, 64, 48);
        }
    }

    /** One decoder layer under {@code p}: full attention or a DeltaNet, then the MLP. */
    private void layer(String p, boolean fullAttention) {
        int h = s.hidden(), attn = s.heads() * s.headDim(), kv = s.kvHeads() * s.headDim();
        boolean q35 = s.arch().equals("qwen35");
        norm(p + "input_layernorm.weight", h, q35);
        norm(p + "post_attention_layernorm.weight", h, q35);
        if (fullAttention) {
            matrix(p + "self_attn.q_proj.weight", 0.02, q35 ? 2 * attn : attn, h);
            matrix(p + "self_attn.k_proj.weight", 0.02, kv, h);
            matrix(p + "self_attn.v_proj.weight", 0.02, kv, h);
            matrix(p + "self_attn.o_proj.weight", 0.02, h, attn);
            if (s.arch().equals("qwen2")) {
                put(p + "self_attn.q_proj.bias", new long[] {attn}, r -> uniform(r, 0, 0.1));
                put(p + "self_attn.k_proj.bias", new long[] {kv}, r -> uniform(r, 0, 0.1));
                put(p + "self_attn.v_proj.bias", new long[] {kv}, r -> uniform(r, 0, 0.1));
            } else {
                norm(p + "self_attn.q_norm.weight", s.headDim(), q35);
                norm(p + "self_attn.k_norm.weight", s.headDim(), q35);
            }
        } else {
            deltaNet(p + "linear_attn.");
        }
        matrix(p + "mlp.gate_proj.weight", 0.02, s.ffn(), h);
        matrix(p + "mlp.up_proj.weight", 0.02, s.ffn(), h);
        matrix(p + "mlp.down_proj.weight", 0.02, h, s.ffn());
    }

    private void deltaNet(String p) {
        int h = s.hidden(), keyDim = s.keyHeads() * s.stateDim(), valueDim = s.valueHeads() * s.stateDim();
        int convDim = 2 * keyDim + valueDim;
        matrix(p + "in_proj_qkv.weight", 0.01, convDim, h);
        matrix(p + "in_proj_z.weight", 0.01, valueDim, h);
        matrix(p + "in_proj_b.weight", 0.01, s.valueHeads(), h);
        matrix(p + "in_proj_a.weight", 0.01, s.valueHeads(), h);
        put(p + "conv1d.weight", new long[] {convDim, 1, s.convKernel()}, r -> uniform(r, 0, 0.3));
        put(p + "dt_bias", new long[] {s.valueHeads()}, r -> Math.log(Math.expm1(0.001 + 0.099 * r.nextDouble())));
        dtypes.put(p + "A_log", Dtype.F32);
        put(p + "A_log", new long[] {s.valueHeads()}, r -> Math.log(1 + 15 * r.nextDouble()));
        norm(p + "norm.weight", s.stateDim(), false);
        matrix(p + "out_proj.weight", 0.01, h, valueDim);
    }

    /** Zero-centred (stored w, used as 1 + w) for Qwen3.5, plain (around 1) otherwise. */
    private void norm(String name, int n, boolean zeroCentred) {
        put(name, new long[] {n}, r -> uniform(r, zeroCentred ? 0 : 1, 0.05));
    }

    private void matrix(String name, double std, int rows, int cols) {
        put(name, new long[] {rows, cols}, r -> uniform(r, 0, std));
    }

    private interface Draw {
        double next(SplittableRandom r);
    }

    private void put(String name, long[] shape, Draw draw) {
        long n = 1;
        for (long d : shape) n *= d;
        SplittableRandom r = new SplittableRandom(seed * 31 + name.hashCode());
        Dtype t = dtypes.computeIfAbsent(name, k -> dtype);
        double[] v = new double[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) v[i] = round(t, (float) draw.next(r));
        values.put(name, v);
        shapes.put(name, shape);
    }

    private static double uniform(SplittableRandom r, double mean, double std) {
        return mean + std * Math.sqrt(3) * (2 * r.nextDouble() - 1);
    }

    private static float round(Dtype t, float f) {
        return switch (t) {
            case F32 -> f;
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(f));
            case BF16 -> Float.intBitsToFloat((bf16(f) & 0xFFFF) << 16);
        };
    }

    private static short bf16(float f) {
        int u = Float.floatToRawIntBits(f);
        return (short) ((u + 0x7FFF + ((u >>> 16) & 1)) >>> 16);
    }

    private void writeWeights(Path dir, int shards) throws IOException {
        List<String> names = new ArrayList<>(values.keySet());
        if (shards == 1) {
            writeSafetensors(dir.resolve("model.safetensors"), names);
            return;
        }
        Map<String, Object> weightMap = new LinkedHashMap<>();
        int per = (names.size() + shards - 1) / shards;
        for (int i = 0; i < shards; i++) {
            String file = String.format("model-%05d-of-%05d.safetensors", i + 1, shards);
            List<String> part = names.subList(i * per, Math.min(names.size(), (i + 1) * per));
            writeSafetensors(dir.resolve(file), part);
            for (String n : part) weightMap.put(n, file);
        }
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("metadata", Map.of("total_size", 0));
        index.put("weight_map", weightMap);
        Files.writeString(dir.resolve(HfCheckpoint.INDEX_FILE), Json.write(index));
    }

    private void writeSafetensors(Path file, List<String> names) throws IOException {
        Map<String, SafetensorsBytes.Tensor> tensors = new LinkedHashMap<>();
        for (String n : names) {
            Dtype t = dtypes.get(n);
            double[] v = values.get(n);
            ByteBuffer bb = ByteBuffer.allocate(v.length * (t == Dtype.F32 ? 4 : 2)).order(ByteOrder.LITTLE_ENDIAN);
            for (double x : v) {
                switch (t) {
                    case F32 -> bb.putFloat((float) x);
                    case F16 -> bb.putShort(Float.floatToFloat16((float) x));
                    case BF16 -> bb.putShort(bf16((float) x));
                }
            }
            tensors.put(n, new SafetensorsBytes.Tensor(t.name(), shapes.get(n), bb.array()));
        }
        Files.write(file, SafetensorsBytes.encode(tensors));
    }

    private void writeConfig(Path dir) throws IOException {
        Map<String, Object> text = new LinkedHashMap<>();
        text.put("hidden_size", s.hidden());
        text.put("intermediate_size", s.ffn());
        text.put("num_hidden_layers", s.layers());
        text.put("num_attention_heads", s.heads());
        text.put("num_key_value_heads", s.kvHeads());
        if (!s.arch().equals("qwen2")) text.put("head_dim", s.headDim());
        text.put("rms_norm_eps", 1e-6);
        text.put("max_position_embeddings", 4096);
        text.put("vocab_size", s.vocab());
        text.put("bos_token_id", 2022);
        text.put("eos_token_id", 2024);
        if (s.arch().equals("qwen35")) {
            text.put("model_type", "qwen3_5_text");
            text.put("linear_num_key_heads", s.keyHeads());
            text.put("linear_num_value_heads", s.valueHeads());
            text.put("linear_key_head_dim", s.stateDim());
            text.put("linear_value_head_dim", s.stateDim());
            text.put("linear_conv_kernel_dim", s.convKernel());
            text.put("mtp_num_hidden_layers", 1);
            List<String> types = new ArrayList<>();
            for (int l = 0; l < s.layers(); l++) types.add(s.isFullAttention(l) ? "full_attention" : "linear_attention");
            Map<String, Object> rope = new LinkedHashMap<>();
            rope.put("rope_type", "default");
            rope.put("rope_theta", s.theta());
            rope.put("partial_rotary_factor", s.partialRotary());
            rope.put("mrope_section", List.of(6, 5, 5));
            if (s.multimodal()) {
                text.put("layer_types", types);
                text.put("rope_parameters", rope);
            } else {
                text.put("full_attention_interval", s.interval());
                text.put("rope_theta", s.theta());
                text.put("partial_rotary_factor", s.partialRotary());
            }
        } else {
            text.put("model_type", s.arch());
            text.put("rope_theta", s.theta());
        }
        Map<String, Object> config;
        if (s.multimodal()) {
            config = new LinkedHashMap<>();
            config.put("architectures", List.of("Qwen3_5ForConditionalGeneration"));
            config.put("model_type", "qwen3_5");
            config.put("text_config", text);
            config.put("vision_config", Map.of("depth", 1));
            config.put("tie_word_embeddings", s.tied());
        } else {
            config = text;
            config.put("tie_word_embeddings", s.tied());
        }
        Files.writeString(dir.resolve("config.json"), Json.write(config));
    }

    /** tokenizer.json and tokenizer_config.json holding the vocabulary of the micro fixtures (README §1). */
    static void writeTokenizer(Path dir, String arch) throws IOException {
        String[] tokens, merges;
        int[] types;
        try (GgufFile gguf = GgufFile.open(Fixtures.model("qwen3-micro-F32.gguf"))) {
            tokens = gguf.getStringArray("tokenizer.ggml.tokens");
            types = gguf.getIntArray("tokenizer.ggml.token_type");
            merges = gguf.getStringArray("tokenizer.ggml.merges");
        }
        Map<String, Object> vocab = new LinkedHashMap<>();
        List<Object> added = new ArrayList<>();
        for (int i = 0; i < tokens.length; i++) {
            if (types[i] == 3 || types[i] == 4) {
                Map<String, Object> a = new LinkedHashMap<>();
                a.put("id", i);
                a.put("content", tokens[i]);
                a.put("single_word", false);
                a.put("lstrip", false);
                a.put("rstrip", false);
                a.put("normalized", false);
                a.put("special", types[i] == 3);
                added.add(a);
            } else {
                vocab.put(tokens[i], i);
            }
        }
        List<Object> mergePairs = new ArrayList<>();
        for (String m : merges) {
            int sp = m.indexOf(' ', 1);
            mergePairs.add(List.of(m.substring(0, sp), m.substring(sp + 1)));
        }
        String regex = arch.equals("qwen35")
                ? "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
                : "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
        Map<String, Object> split = new LinkedHashMap<>();
        split.put("type", "Split");
        split.put("pattern", Map.of("Regex", regex));
        split.put("behavior", "Isolated");
        split.put("invert", false);
        Map<String, Object> byteLevel = Map.of("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", false, "use_regex", false);
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("vocab", vocab);
        model.put("merges", mergePairs);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("version", "1.0");
        json.put("added_tokens", added);
        json.put("normalizer", Map.of("type", "NFC"));
        json.put("pre_tokenizer", Map.of("type", "Sequence", "pretokenizers", List.of(split, byteLevel)));
        json.put("model", model);
        Files.writeString(dir.resolve("tokenizer.json"), Json.write(json));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("eos_token", "<|im_end|>");
        config.put("pad_token", "<|endoftext|>");
        config.put("bos_token", null);
        config.put("add_bos_token", false);
        config.put("chat_template", CHAT_TEMPLATE);
        Files.writeString(dir.resolve("tokenizer_config.json"), Json.write(config));
    }

    static final String CHAT_TEMPLATE = "{% for message in messages %}<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>\n{% endfor %}";
}
