package dev.qwen4j.convert;

import dev.qwen4j.gguf.GgufWriter;
import dev.qwen4j.model.DeltaNetConfig;
import dev.qwen4j.model.InvalidModelException;
import dev.qwen4j.model.ModelConfig;
import dev.qwen4j.model.Models;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The hyperparameters of a checkpoint's {@code config.json} (QWEN_SPEC.md §3.2, §4.1), for {@code qwen2},
 * {@code qwen3} and {@code qwen3_5}. Qwen3.5 vision-language configs nest the text decoder under
 * {@code text_config}; a key is looked up there first, then at the top level.
 *
 * @param config     hyperparameters under the GGUF architecture name (qwen2, qwen3, qwen35)
 * @param deltaNet   the Gated DeltaNet part, {@code null} unless qwen35
 * @param tied       whether the output head is the token embedding
 * @param ropeSections qwen35 mRoPE sections, padded to four with 0
 */
public record HfConfig(ModelConfig config, DeltaNetConfig deltaNet, boolean tied, int[] ropeSections) {

    /** Reads the config; {@code hasLmHead} decides tying when the config does not say. */
    public static HfConfig parse(Map<String, Object> json, Path file, boolean hasLmHead) throws CheckpointException {
        Reader r = new Reader(json, file);
        String arch = architecture(json, file);
        int hidden = r.integer("hidden_size", null);
        int heads = r.integer("num_attention_heads", null);
        int kvHeads = r.integer("num_key_value_heads", heads);
        int headDim = r.integer("head_dim", hidden / Math.max(heads, 1));
        int layers = r.integer("num_hidden_layers", null);
        boolean qwen35 = arch.equals("qwen35");
        double theta = r.number("rope_theta", qwen35 ? 1e7 : 10000.0);
        double partial = qwen35 ? r.number("partial_rotary_factor", 0.25) : 1.0;
        int ropeDims = (int) (headDim * partial);
        Object tie = r.get("tie_word_embeddings");
        boolean tied = tie instanceof Boolean b ? b : !hasLmHead;
        try {
            ModelConfig config = new ModelConfig(arch, r.integer("vocab_size", null), r.integer("max_position_embeddings", 32768),
                    hidden, layers, r.integer("intermediate_size", null), heads, kvHeads, headDim, ropeDims, theta,
                    (float) r.number("rms_norm_eps", 1e-6));
            if (!qwen35) return new HfConfig(config, null, tied, null);
            DeltaNetConfig deltaNet = new DeltaNetConfig(r.integer("linear_num_key_heads", null), r.integer("linear_num_value_heads", null),
                    r.integer("linear_key_head_dim", null), r.integer("linear_value_head_dim", null),
                    r.integer("linear_conv_kernel_dim", 4), fullAttentionInterval(r, layers));
            if (deltaNet.keyHeadDim() != deltaNet.valueHeadDim()) {
                throw new CheckpointException(file + ": linear_key_head_dim " + deltaNet.keyHeadDim() + " differs from linear_value_head_dim "
                        + deltaNet.valueHeadDim() + "; qwen4j (like llama.cpp) needs them equal");
            }
            int[] sections = {11, 11, 10, 0};
            if (r.get("mrope_section") instanceof List<?> l) {
                for (int i = 0; i < Math.min(l.size(), 4); i++) sections[i] = l.get(i) instanceof Number n ? n.intValue() : 0;
                if (l.size() < 4) sections[3] = 0;
            }
            return new HfConfig(config, deltaNet, tied, sections);
        } catch (InvalidModelException e) {
            throw new CheckpointException(file + ": " + e.getMessage());
        }
    }

    /** The GGUF architecture: from {@code model_type}, else from {@code architectures[0]}. */
    static String architecture(Map<String, Object> json, Path file) throws CheckpointException {
        String type = json.get("model_type") instanceof String s ? s : "";
        if (type.isEmpty() && json.get("architectures") instanceof List<?> l && !l.isEmpty()) {
            String a = String.valueOf(l.getFirst());
            if (a.startsWith("Qwen3_5ForC")) type = "qwen3_5";
            else if (a.startsWith("Qwen3ForC")) type = "qwen3";
            else if (a.startsWith("Qwen2ForC")) type = "qwen2";
        }
        return switch (type) {
            case "qwen2" -> "qwen2";
            case "qwen3" -> "qwen3";
            case "qwen3_5", "qwen3_5_text" -> "qwen35";
            default -> throw new CheckpointException(file + ": model_type " + (type.isEmpty() ? "(missing)" : "'" + type + "'")
                    + " is not supported; qwen4j converts qwen2, qwen3 and qwen3_5 checkpoints");
        };
    }

    /**
     * §4.2: an explicit {@code layer_types} list is authoritative; qwen4j runs the periodic schedule
     * (full attention every n-th layer), so the list must be one.
     */
    private static int fullAttentionInterval(Reader r, int layers) throws CheckpointException {
        int interval = r.integer("full_attention_interval", 4);
        if (!(r.get("layer_types") instanceof List<?> types)) return interval;
        int first = types.indexOf("full_attention");
        if (first < 0 || types.size() != layers) {
            throw new CheckpointException(r.file + ": layer_types should list " + layers + " layers with at least one full_attention");
        }
        for (int i = 0; i < types.size(); i++) {
            boolean full = (i + 1) % (first + 1) == 0;
            if (!types.get(i).equals(full ? "full_attention" : "linear_attention")) {
                throw new CheckpointException(r.file + ": layer_types is not periodic (full attention every " + (first + 1)
                        + " layers); qwen4j runs only that schedule");
            }
        }
        return first + 1;
    }

    /** The {@code <arch>.*} hyperparameter keys (QWEN_SPEC.md §3.3, §4.8.3), with {@code mtpLayers} MTP blocks after the stack. */
    void writeMetadata(GgufWriter w, int mtpLayers) {
        Models.writeHyperparameters(w, config, deltaNet, ropeSections, mtpLayers);
    }

    /** Key lookup in {@code text_config} then the top level; rope keys also inside {@code rope_parameters} / {@code rope_scaling}. */
    private static final class Reader {
        final Map<String, Object> top;
        final Map<?, ?> text;
        final Path file;

        Reader(Map<String, Object> top, Path file) {
            this.top = top;
            this.text = top.get("text_config") instanceof Map<?, ?> m ? m : Map.of();
            this.file = file;
        }

        Object get(String key) {
            for (Map<?, ?> m : List.of(text, top)) {
                if (m.get(key) != null) return m.get(key);
                for (String nested : List.of("rope_parameters", "rope_scaling")) {
                    if (m.get(nested) instanceof Map<?, ?> rope && rope.get(key) != null) return rope.get(key);
                }
            }
            return null;
        }

        int integer(String key, Integer fallback) throws CheckpointException {
            Object v = get(key);
            if (v == null && fallback != null) return fallback;
            if (v instanceof Long l && l > 0 && l <= Integer.MAX_VALUE) return (int) (long) l;
            throw new CheckpointException(file + ": " + key + (v == null ? " is missing" : " should be a positive integer, found " + v));
        }

        double number(String key, double fallback) throws CheckpointException {
            Object v = get(key);
            if (v == null) return fallback;
            if (v instanceof Number n) return n.doubleValue();
            throw new CheckpointException(file + ": " + key + " should be a number, found " + v);
        }
    }
}
