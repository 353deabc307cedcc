package dev.qwen4j.convert;

import dev.qwen4j.gguf.GgufWriter;
import dev.qwen4j.json.Json;
import dev.qwen4j.tokenizer.TokenType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Writes the {@code tokenizer.ggml.*} keys (QWEN_SPEC.md §5.7) from a checkpoint's {@code tokenizer.json} and
 * {@code tokenizer_config.json}: the vocabulary padded to the embedding's row count with unused
 * {@code [PADi]} entries, token types (added tokens CONTROL when their {@code special} flag is set, else
 * USER_DEFINED), merges as "a b" strings, the pre-tokenizer, the special ids and the chat template.
 */
final class TokenizerMetadata {
    private TokenizerMetadata() {
    }

    static void write(Path dir, Map<String, Object> config, String arch, int vocabSize, GgufWriter w) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Map<String, Object> json = HfCheckpoint.readJson(file);
        Map<?, ?> model = map(json.get("model"), file, "model");
        if (model.get("type") != null && !"BPE".equals(model.get("type"))) {
            throw new CheckpointException(file + ": model.type '" + model.get("type") + "' is not supported (Qwen uses BPE)");
        }
        Map<?, ?> vocab = map(model.get("vocab"), file, "model.vocab");
        List<?> added = json.get("added_tokens") instanceof List<?> l ? l : List.of();

        int size = vocabSize;
        for (Object id : vocab.values()) size = Math.max(size, id(id, file, "model.vocab") + 1);
        for (Object a : added) size = Math.max(size, id(map(a, file, "added_tokens[]").get("id"), file, "added_tokens[].id") + 1);
        if (size > vocabSize) {
            throw new CheckpointException(file + ": token ids reach " + (size - 1) + " but the model has only " + vocabSize + " embedding rows");
        }
        String[] tokens = new String[size];
        int[] types = new int[size];
        for (Map.Entry<?, ?> e : vocab.entrySet()) {
            int id = id(e.getValue(), file, "model.vocab");
            tokens[id] = String.valueOf(e.getKey());
            types[id] = TokenType.NORMAL.ggufCode();
        }
        for (Object o : added) {
            Map<?, ?> a = map(o, file, "added_tokens[]");
            int id = id(a.get("id"), file, "added_tokens[].id");
            tokens[id] = String.valueOf(a.get("content"));
            types[id] = (Boolean.TRUE.equals(a.get("special")) ? TokenType.CONTROL : TokenType.USER_DEFINED).ggufCode();
        }
        for (int i = 0; i < size; i++) {
            if (tokens[i] == null) {
                tokens[i] = "[PAD" + i + "]";
                types[i] = TokenType.UNUSED.ggufCode();
            }
        }
        String[] merges = merges(model.get("merges"), file);

        Path configFile = dir.resolve("tokenizer_config.json");
        Map<String, Object> tokConfig = Files.isRegularFile(configFile) ? HfCheckpoint.readJson(configFile) : Map.of();
        List<String> tokenList = Arrays.asList(tokens);
        w.putString("tokenizer.ggml.model", "gpt2");
        w.putString("tokenizer.ggml.pre", preTokenizer(json, arch));
        w.putStrings("tokenizer.ggml.tokens", tokens);
        w.putInt32s("tokenizer.ggml.token_type", types);
        w.putStrings("tokenizer.ggml.merges", merges);
        specialId(w, "bos", tokConfig, config, tokenList);
        specialId(w, "eos", tokConfig, config, tokenList);
        specialId(w, "padding", tokConfig, config, tokenList);
        w.putBool("tokenizer.ggml.add_bos_token", Boolean.TRUE.equals(tokConfig.get("add_bos_token")));
        String template = dev.qwen4j.tokenizer.HuggingFaceLoader.chatTemplate(tokConfig.get("chat_template"));
        if (Files.isRegularFile(dir.resolve("chat_template.jinja"))) template = Files.readString(dir.resolve("chat_template.jinja"));
        if (template != null) w.putString("tokenizer.chat_template", template);
    }

    /** qwen35 when the split regex lets marks join letter runs (§5.3), else qwen2; the architecture decides if there is no regex. */
    private static String preTokenizer(Map<String, Object> json, String arch) {
        Object pre = json.get("pre_tokenizer");
        if (pre == null) return arch.equals("qwen35") ? "qwen35" : "qwen2";
        return Json.write(pre).contains("\\\\p{M}") ? "qwen35" : "qwen2";
    }

    /**
     * {@code <name>_token} of tokenizer_config.json (text or {content: text}) looked up in the vocabulary, else the
     * {@code <name>_token_id} number of config.json (or its text_config); nothing is written when neither gives one.
     */
    private static void specialId(GgufWriter w, String key, Map<String, Object> tokConfig, Map<String, Object> config, List<String> tokens) {
        String hfName = key.equals("padding") ? "pad" : key;
        Object t = tokConfig.get(hfName + "_token");
        String text = t instanceof String s ? s : t instanceof Map<?, ?> m && m.get("content") instanceof String s ? s : null;
        int id = text == null ? -1 : tokens.indexOf(text);
        if (id < 0) {
            Object n = config.get(hfName + "_token_id");
            if (n == null && config.get("text_config") instanceof Map<?, ?> tc) n = tc.get(hfName + "_token_id");
            if (n instanceof List<?> l && !l.isEmpty()) n = l.getFirst();
            if (n instanceof Long l && l >= 0 && l < tokens.size()) id = (int) (long) l;
        }
        if (id >= 0) w.putUInt32("tokenizer.ggml." + key + "_token_id", id);
    }

    private static String[] merges(Object o, Path file) throws CheckpointException {
        List<?> list = o instanceof List<?> l ? l : List.of();
        String[] merges = new String[list.size()];
        for (int i = 0; i < merges.length; i++) {
            Object m = list.get(i);
            if (m instanceof String s && s.indexOf(' ', 1) > 0) merges[i] = s;
            else if (m instanceof List<?> pair && pair.size() == 2) merges[i] = pair.get(0) + " " + pair.get(1);
            else throw new CheckpointException(file + ": malformed merge " + m);
        }
        return merges;
    }

    private static Map<?, ?> map(Object o, Path file, String what) throws CheckpointException {
        if (o instanceof Map<?, ?> m) return m;
        throw new CheckpointException(file + ": '" + what + "' should be an object");
    }

    private static int id(Object o, Path file, String what) throws CheckpointException {
        if (o instanceof Long l && l >= 0 && l < Integer.MAX_VALUE) return (int) (long) l;
        throw new CheckpointException(file + ": '" + what + "' holds " + o + ", expected a token id");
    }
}
