package dev.qwen4j.model.synthetic;

import dev.qwen4j.gguf.GgufWriter;
import dev.qwen4j.model.DeltaNetConfig;
import dev.qwen4j.model.ModelConfig;
import dev.qwen4j.model.Models;
import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.tensor.quant.RowCodec;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Writes random-weight GGUF models with the real tensor names, shapes and metadata of each architecture
 * (QWEN_SPEC.md §3.3–3.4, §4.8), for tests and for benchmarking shapes one has not downloaded
 * ({@code qwen4j bench --synthetic qwen3.5-0.8b:q8_0}). Each tensor's values come from its own random stream
 * (seeded by the model seed and the tensor name), so a model's weights do not depend on which other tensors
 * exist. The vocabulary is byte-level: 256 byte tokens, the 26 Qwen added tokens, then unused fillers.
 */
public final class SyntheticModel {

    /** A model to generate: hyperparameters, the DeltaNet part ({@code null} for qwen2/qwen3), head tying, MTP blocks. */
    public record Shape(ModelConfig config, DeltaNetConfig deltaNet, boolean tiedEmbeddings, int mtpLayers) {
        public Shape {
            if (config.architecture().equals("qwen35") != (deltaNet != null)) {
                throw new IllegalArgumentException("a DeltaNet configuration goes with architecture qwen35, and only with it");
            }
            if (mtpLayers > 0 && deltaNet == null) throw new IllegalArgumentException("MTP blocks exist only in qwen35 models");
        }

        public Shape withVocabulary(int vocab) {
            ModelConfig c = config;
            return new Shape(new ModelConfig(c.architecture(), vocab, c.contextLength(), c.hidden(), c.layers(), c.ffn(), c.heads(),
                    c.kvHeads(), c.headDim(), c.ropeDims(), c.ropeTheta(), c.rmsEps()), deltaNet, tiedEmbeddings, mtpLayers);
        }

        /** The same model at other sizes: head size, RoPE, norms and the DeltaNet part stay. */
        public Shape withSizes(int hidden, int layers, int ffn, int heads, int kvHeads) {
            ModelConfig c = config;
            return new Shape(new ModelConfig(c.architecture(), c.vocabSize(), c.contextLength(), hidden, layers, ffn, heads,
                    kvHeads, c.headDim(), c.ropeDims(), c.ropeTheta(), c.rmsEps()), deltaNet, tiedEmbeddings, mtpLayers);
        }

        public Shape withMtpLayers(int n) {
            return new Shape(config, deltaNet, tiedEmbeddings, n);
        }

        public Shape withTiedEmbeddings(boolean tied) {
            return new Shape(config, deltaNet, tied, mtpLayers);
        }
    }

    static final String[] ADDED_TOKENS = {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>",
            "<|object_ref_end|>", "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
            "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>", "<tool_call>", "</tool_call>",
            "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>",
            "<tool_response>", "</tool_response>", "<think>", "</think>"};
    private static final int CONTROL_TOKENS = 14;
    /** Id of the first added token ({@code <|endoftext|>}). */
    public static final int FIRST_ADDED_TOKEN = 256;
    private static final String CHAT_TEMPLATE = "{% for message in messages %}<|im_start|>{{ message.role }}\n{{ message.content }}"
            + "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

    private static final Map<String, Shape> PRESETS = new LinkedHashMap<>();

    static {
        PRESETS.put("qwen3.5-micro", qwen35(512, 128, 8, 256, 2, 1, 64, 16, 2, 4, 32, false));
        PRESETS.put("qwen3.5-0.8b", qwen35(248320, 1024, 24, 3584, 8, 2, 256, 64, 16, 16, 128, true));
        PRESETS.put("qwen3.5-2b", qwen35(248320, 2048, 24, 6144, 8, 2, 256, 64, 16, 16, 128, true));
        PRESETS.put("qwen3.5-4b", qwen35(248320, 2560, 32, 9216, 16, 4, 256, 64, 16, 32, 128, true));
        PRESETS.put("qwen3.5-9b", qwen35(248320, 4096, 32, 12288, 16, 4, 256, 64, 16, 32, 128, false));
        PRESETS.put("qwen3-micro", dense("qwen3", 512, 128, 4, 256, 4, 2, 32, 1e6, 4096, true));
        PRESETS.put("qwen3-0.6b", dense("qwen3", 151936, 1024, 28, 3072, 16, 8, 128, 1e6, 40960, true));
        PRESETS.put("qwen3-1.7b", dense("qwen3", 151936, 2048, 28, 6144, 16, 8, 128, 1e6, 40960, true));
        PRESETS.put("qwen2-micro", dense("qwen2", 512, 128, 4, 256, 4, 2, 32, 1e6, 4096, false));
        PRESETS.put("qwen2.5-0.5b", dense("qwen2", 151936, 896, 24, 4864, 14, 2, 64, 1e6, 32768, true));
    }

    private SyntheticModel() {
    }

    private static Shape qwen35(int vocab, int hidden, int layers, int ffn, int heads, int kvHeads, int headDim, int ropeDims,
                                int keyHeads, int valueHeads, int stateDim, boolean tied) {
        return new Shape(new ModelConfig("qwen35", vocab, hidden < 1024 ? 4096 : 262144, hidden, layers, ffn, heads, kvHeads,
                headDim, ropeDims, 1e7, 1e-6f), new DeltaNetConfig(keyHeads, valueHeads, stateDim, stateDim, 4, 4), tied, 0);
    }

    private static Shape dense(String arch, int vocab, int hidden, int layers, int ffn, int heads, int kvHeads, int headDim,
                               double theta, int context, boolean tied) {
        return new Shape(new ModelConfig(arch, vocab, context, hidden, layers, ffn, heads, kvHeads, headDim, headDim, theta, 1e-6f),
                null, tied, 0);
    }

    /** Preset names: micro sizes for tests and the real shapes of the Qwen3.5, Qwen3 and Qwen2.5 models. */
    public static Map<String, Shape> presets() {
        return java.util.Collections.unmodifiableMap(PRESETS);
    }

    /** A preset by name; "+mtp" after a Qwen3.5 name adds the MTP block (e.g. "qwen3.5-0.8b+mtp"). */
    public static Shape preset(String name) {
        if (name.toLowerCase(Locale.ROOT).endsWith("+mtp")) return preset(name.substring(0, name.length() - 4)).withMtpLayers(1);
        Shape s = PRESETS.get(name.toLowerCase(Locale.ROOT));
        if (s == null) throw new IllegalArgumentException("unknown synthetic model '" + name + "'; known: " + String.join(", ", PRESETS.keySet()));
        return s;
    }

    /** A preset and a weight type from "qwen3.5-0.8b:q8_0" (the type defaults to Q8_0). */
    public record Spec(String name, Shape shape, GgmlType weightType) {
    }

    public static Spec parse(String spec) {
        int colon = spec.indexOf(':');
        String name = colon < 0 ? spec : spec.substring(0, colon);
        GgmlType type = GgmlType.Q8_0;
        if (colon >= 0) {
            String t = spec.substring(colon + 1).toUpperCase(Locale.ROOT);
            try {
                type = GgmlType.valueOf(t);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown weight type '" + spec.substring(colon + 1) + "' in '" + spec + "'");
            }
        }
        return new Spec(name, preset(name), type);
    }

    /**
     * Writes the model to {@code path}. Weight matrices get {@code weightType} when their row length is a multiple
     * of its block size, else Q8_0 (32-element blocks), else F32 (llama-quantize also falls back for such rows); norms, biases,
     * conv taps and the DeltaNet decay parameters are always F32 (as in real files).
     */
    public static void write(Path path, Shape shape, GgmlType weightType, long seed) throws IOException {
        if (!RowCodec.canQuantize(weightType)) {
            throw new IllegalArgumentException("synthetic weights of type " + weightType + " are not available: qwen4j cannot"
                    + " quantize to it (it can: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K)");
        }
        new Builder(shape, weightType, seed).build().write(path);
    }

    private static final class Builder {
        private static final int ROWS_PER_BLOCK = 64;
        private final Shape shape;
        private final ModelConfig c;
        private final DeltaNetConfig d;
        private final GgmlType weightType;
        private final long seed;
        private final GgufWriter w = new GgufWriter();

        Builder(Shape shape, GgmlType weightType, long seed) {
            this.shape = shape;
            this.c = shape.config();
            this.d = shape.deltaNet();
            this.weightType = weightType;
            this.seed = seed;
        }

        GgufWriter build() {
            metadata();
            int h = c.hidden();
            int attnDim = c.heads() * c.headDim();
            matrix("token_embd.weight", h, c.vocabSize(), 0.02);
            norm("output_norm.weight", h);
            if (!shape.tiedEmbeddings()) matrix("output.weight", h, c.vocabSize(), 0.02);
            for (int l = 0; l < c.layers() + shape.mtpLayers(); l++) {
                String p = "blk." + l + ".";
                norm(p + "attn_norm.weight", h);
                if (d == null) {
                    norm(p + "ffn_norm.weight", h);
                    matrix(p + "attn_q.weight", h, attnDim, 0.02);
                    matrix(p + "attn_k.weight", h, c.kvDim(), 0.02);
                    matrix(p + "attn_v.weight", h, c.kvDim(), 0.02);
                    matrix(p + "attn_output.weight", attnDim, h, 0.02);
                    if (c.architecture().equals("qwen2")) {
                        vector(p + "attn_q.bias", attnDim, 0, 0.1);
                        vector(p + "attn_k.bias", c.kvDim(), 0, 0.1);
                        vector(p + "attn_v.bias", c.kvDim(), 0, 0.1);
                    } else {
                        norm(p + "attn_q_norm.weight", c.headDim());
                        norm(p + "attn_k_norm.weight", c.headDim());
                    }
                } else {
                    norm(p + "post_attention_norm.weight", h);
                    if (l >= c.layers() || d.isFullAttention(l)) {
                        matrix(p + "attn_q.weight", h, 2 * attnDim, 0.02);
                        matrix(p + "attn_k.weight", h, c.kvDim(), 0.02);
                        matrix(p + "attn_v.weight", h, c.kvDim(), 0.02);
                        matrix(p + "attn_output.weight", attnDim, h, 0.02);
                        norm(p + "attn_q_norm.weight", c.headDim());
                        norm(p + "attn_k_norm.weight", c.headDim());
                    } else {
                        deltaNet(p);
                    }
                    if (l >= c.layers()) mtp(p);
                }
                matrix(p + "ffn_gate.weight", h, c.ffn(), 0.02);
                matrix(p + "ffn_up.weight", h, c.ffn(), 0.02);
                matrix(p + "ffn_down.weight", c.ffn(), h, 0.02);
            }
            return w;
        }

        /** Projections at 0.01: with 0.02 random DeltaNet layers amplify rounding a lot (fixtures README §4). */
        private void deltaNet(String p) {
            int h = c.hidden();
            int nv = d.valueHeads();
            matrix(p + "attn_qkv.weight", h, d.convDim(), 0.01);
            matrix(p + "attn_gate.weight", h, d.valueDim(), 0.01);
            matrix(p + "ssm_beta.weight", h, nv, 0.01);
            matrix(p + "ssm_alpha.weight", h, nv, 0.01);
            floats(p + "ssm_conv1d.weight", new long[]{d.convKernel(), d.convDim()}, r -> r.nextGaussianish(0, 0.2));
            floats(p + "ssm_a", new long[]{nv}, r -> -(1 + 15 * r.nextDouble()));                            // −exp(A_log)
            floats(p + "ssm_dt.bias", new long[]{nv}, r -> Math.log(Math.expm1(0.001 + 0.099 * r.nextDouble())));  // softplus⁻¹
            norm(p + "ssm_norm.weight", d.valueHeadDim());
            matrix(p + "ssm_out.weight", d.valueDim(), h, 0.01);
        }

        private void mtp(String p) {
            int h = c.hidden();
            matrix(p + "nextn.eh_proj.weight", 2 * h, h, 0.02);
            norm(p + "nextn.enorm.weight", h);
            norm(p + "nextn.hnorm.weight", h);
            norm(p + "nextn.shared_head_norm.weight", h);
        }

        private void norm(String name, int n) {
            vector(name, n, 1, 0.05);
        }

        private void vector(String name, int n, double mean, double std) {
            floats(name, new long[]{n}, r -> r.nextGaussianish(mean, std));
        }

        private interface Draw {
            double next(Rng r);
        }

        private void floats(String name, long[] dims, Draw draw) {
            long count = 1;
            for (long dim : dims) count *= dim;
            float[] v = new float[Math.toIntExact(count)];
            Rng r = rng(name);
            for (int i = 0; i < v.length; i++) v[i] = (float) draw.next(r);
            w.addF32(name, dims, v);
        }

        /**
         * Rows are generated and quantized in blocks of {@value #ROWS_PER_BLOCK}, each block from its own random
         * stream, several blocks at a time in parallel, then written in order.
         */
        private void matrix(String name, int in, int out, double std) {
            GgmlType type = in % weightType.blockSize == 0 ? weightType : in % 32 == 0 ? GgmlType.Q8_0 : GgmlType.F32;
            int rowBytes = Math.toIntExact(type.rowBytes(in));
            int blocks = (out + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK;
            int inFlight = 4 * Runtime.getRuntime().availableProcessors();
            w.addTensor(name, type, new long[]{in, out}, stream -> {
                byte[][] encoded = new byte[inFlight][ROWS_PER_BLOCK * rowBytes];
                for (int first = 0; first < blocks; first += inFlight) {
                    int group = Math.min(inFlight, blocks - first);
                    int base = first;
                    IntStream.range(0, group).parallel().forEach(g -> {
                        int block = base + g;
                        Rng r = rng(name, block);
                        float[] row = new float[in];
                        MemorySegment dst = MemorySegment.ofArray(encoded[g]);
                        int rows = Math.min(ROWS_PER_BLOCK, out - block * ROWS_PER_BLOCK);
                        for (int o = 0; o < rows; o++) {
                            for (int i = 0; i < in; i++) row[i] = (float) r.nextGaussianish(0, std);
                            RowCodec.quantize(type, row, 0, in, dst, (long) o * rowBytes);
                        }
                    });
                    for (int g = 0; g < group; g++) {
                        int rows = Math.min(ROWS_PER_BLOCK, out - (first + g) * ROWS_PER_BLOCK);
                        stream.write(encoded[g], 0, rows * rowBytes);
                    }
                }
            });
        }

        private Rng rng(String tensorName, int block) {
            return new Rng(new SplittableRandom(seed ^ nameHash(tensorName) ^ (block * 0x9E3779B97F4A7C15L)).nextLong());
        }

        private static long nameHash(String tensorName) {
            long hash = 0xcbf29ce484222325L;
            for (byte b : tensorName.getBytes(StandardCharsets.UTF_8)) hash = (hash ^ b) * 0x100000001b3L;
            return hash;
        }

        private Rng rng(String tensorName) {
            return new Rng(new SplittableRandom(seed ^ nameHash(tensorName)).nextLong());
        }

        private void metadata() {
            String a = c.architecture();
            w.putString("general.architecture", a);
            w.putString("general.name", "qwen4j synthetic " + a);
            int[] sections = null;
            if (d != null) {
                int half = c.ropeDims() / 2;
                int s0 = (half + 2) / 3, s1 = (half + 1) / 3;     // e.g. 32 → [11, 11, 10, 0]
                sections = new int[] {s0, s1, half - s0 - s1, 0};
            }
            Models.writeHyperparameters(w, c, d, sections, shape.mtpLayers());
            vocabulary(a);
        }

        private void vocabulary(String arch) {
            int v = c.vocabSize();
            if (v < FIRST_ADDED_TOKEN + ADDED_TOKENS.length) {
                throw new IllegalArgumentException("a synthetic vocabulary needs at least " + (FIRST_ADDED_TOKEN + ADDED_TOKENS.length) + " tokens");
            }
            String[] tokens = new String[v];
            int[] types = new int[v];
            int[] byteChars = byteLevelChars();
            for (int i = 0; i < 256; i++) {
                tokens[i] = new String(Character.toChars(byteChars[i]));
                types[i] = 1;
            }
            for (int i = 0; i < ADDED_TOKENS.length; i++) {
                tokens[FIRST_ADDED_TOKEN + i] = ADDED_TOKENS[i];
                types[FIRST_ADDED_TOKEN + i] = i < CONTROL_TOKENS ? 3 : 4;
            }
            for (int i = FIRST_ADDED_TOKEN + ADDED_TOKENS.length; i < v; i++) {
                tokens[i] = "[PAD" + i + "]";
                types[i] = 5;
            }
            w.putString("tokenizer.ggml.model", "gpt2");
            w.putString("tokenizer.ggml.pre", arch.equals("qwen35") ? "qwen35" : "qwen2");
            w.putStrings("tokenizer.ggml.tokens", tokens);
            w.putInt32s("tokenizer.ggml.token_type", types);
            w.putStrings("tokenizer.ggml.merges");
            w.putUInt32("tokenizer.ggml.bos_token_id", FIRST_ADDED_TOKEN);
            w.putUInt32("tokenizer.ggml.padding_token_id", FIRST_ADDED_TOKEN);
            w.putUInt32("tokenizer.ggml.eos_token_id", FIRST_ADDED_TOKEN + 2);
            w.putBool("tokenizer.ggml.add_bos_token", false);
            w.putString("tokenizer.chat_template", CHAT_TEMPLATE);
        }
    }

    /**
     * GPT-2's byte-to-character table (QWEN_SPEC.md §5.2) in token order: the printable bytes first, then the
     * others mapped to U+0100 onwards — token i of Qwen's vocabulary is the character at index i.
     */
    static int[] byteLevelChars() {
        int[] chars = new int[256];
        int n = 0;
        boolean[] printable = new boolean[256];
        for (int b = 0; b < 256; b++) {
            printable[b] = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            if (printable[b]) chars[n++] = b;
        }
        int extra = 0;
        for (int b = 0; b < 256; b++) if (!printable[b]) chars[n++] = 256 + extra++;
        return chars;
    }

    /** A fast generator; "Gaussian-ish" = uniform with the requested mean and standard deviation (cheap, bounded). */
    private static final class Rng {
        private long state;

        Rng(long seed) {
            state = seed == 0 ? 0x9E3779B97F4A7C15L : seed;
        }

        double nextDouble() {
            state ^= state << 13;
            state ^= state >>> 7;
            state ^= state << 17;
            return (state >>> 11) * 0x1.0p-53;
        }

        double nextGaussianish(double mean, double std) {
            return mean + std * Math.sqrt(3) * (2 * nextDouble() - 1);
        }
    }
}
