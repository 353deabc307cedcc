package dev.qwen4j.tokenizer;

import dev.qwen4j.json.Json;
import dev.qwen4j.json.JsonException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads a Hugging Face tokenizer folder (QWEN_SPEC.md §5.7, last paragraph). */
public final class HuggingFaceLoader {
    private HuggingFaceLoader() {
    }

    static Tokenizer load(Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString());
        Map<String, Object> json = parse(file);
        Map<String, Object> model = map(json.get("model"), file, "model");
        Object modelType = model.get("type");
        if (modelType != null && !"BPE".equals(modelType)) {
            throw new IllegalArgumentException(file + ": model.type '" + modelType + "' is not supported (Qwen uses BPE)");
        }
        Map<String, Object> vocabJson = map(model.get("vocab"), file, "model.vocab");

        int size = 0;
        for (Object id : vocabJson.values()) size = Math.max(size, toInt(id, file, "model.vocab") + 1);
        List<Object> addedJson = list(json.getOrDefault("added_tokens", List.of()), file, "added_tokens");
        for (Object o : addedJson) size = Math.max(size, toInt(map(o, file, "added_tokens[]").get("id"), file, "added_tokens[].id") + 1);

        String[] tokens = new String[size];
        TokenType[] types = new TokenType[size];
        java.util.Arrays.fill(types, TokenType.UNUSED);
        for (Map.Entry<String, Object> e : vocabJson.entrySet()) {
            int id = toInt(e.getValue(), file, "model.vocab");
            tokens[id] = e.getKey();
            types[id] = TokenType.NORMAL;
        }
        for (Object o : addedJson) {
            Map<String, Object> a = map(o, file, "added_tokens[]");
            int id = toInt(a.get("id"), file, "added_tokens[].id");
            tokens[id] = String.valueOf(a.get("content"));
            types[id] = Boolean.TRUE.equals(a.get("special")) ? TokenType.CONTROL : TokenType.USER_DEFINED;
        }

        List<String[]> merges = new ArrayList<>();
        for (Object m : list(model.getOrDefault("merges", List.of()), file, "model.merges")) {
            if (m instanceof String s) {
                int space = s.indexOf(' ', 1);
                if (space < 0) throw new IllegalArgumentException(file + ": malformed merge '" + s + "'");
                merges.add(new String[] {s.substring(0, space), s.substring(space + 1)});
            } else if (m instanceof List<?> pair && pair.size() == 2) {
                merges.add(new String[] {String.valueOf(pair.get(0)), String.valueOf(pair.get(1))});
            } else {
                throw new IllegalArgumentException(file + ": malformed merge " + m);
            }
        }

        Map<String, Object> config = Files.isRegularFile(dir.resolve("tokenizer_config.json")) ? parse(dir.resolve("tokenizer_config.json")) : Map.of();
        Set<Integer> eos = new LinkedHashSet<>();
        String eosText = tokenText(config.get("eos_token"));
        String chatTemplate = chatTemplate(config.get("chat_template"));
        if (Files.isRegularFile(dir.resolve("chat_template.jinja"))) chatTemplate = Files.readString(dir.resolve("chat_template.jinja"));
        Path generation = dir.resolve("generation_config.json");
        if (Files.isRegularFile(generation)) {
            Object ids = parse(generation).get("eos_token_id");
            if (ids instanceof Number n) eos.add(n.intValue());
            if (ids instanceof List<?> l) for (Object o : l) if (o instanceof Number n) eos.add(n.intValue());
        }
        if (eosText != null) {
            for (int id = 0; id < tokens.length; id++) {
                if (eosText.equals(tokens[id])) {
                    eos.add(id);
                    break;
                }
            }
        }
        eos.removeIf(id -> id < 0 || id >= tokens.length);
        Tokenizer.Vocabulary vocab = new Tokenizer.Vocabulary(tokens, types, merges, eos, chatTemplate);
        String text = Json.write(json.get("pre_tokenizer"));
        PreTokenizer pre = text.contains("\\\\p{M}") ? PreTokenizer.QWEN35 : PreTokenizer.QWEN2;
        boolean nfc = Json.write(json.get("normalizer")).contains("\"NFC\"");
        return Tokenizer.of(vocab, pre, nfc);
    }

    private static Map<String, Object> parse(Path file) throws IOException {
        try {
            return Json.parseObject(Files.readString(file));
        } catch (JsonException e) {
            throw new IllegalArgumentException(file + ": invalid JSON: " + e.getMessage(), e);
        }
    }

    private static String tokenText(Object o) {
        if (o instanceof String s) return s;
        if (o instanceof Map<?, ?> m && m.get("content") instanceof String s) return s;
        return null;
    }

    /**
     * The {@code chat_template} value of a {@code tokenizer_config.json}: a string, or a list of {name, template}
     * entries of which "default" is used; null when absent.
     */
    public static String chatTemplate(Object o) {
        if (o instanceof String s) return s;
        if (o instanceof List<?> l) {
            for (Object e : l) {
                if (e instanceof Map<?, ?> m && "default".equals(m.get("name")) && m.get("template") instanceof String s) return s;
            }
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o, Path file, String what) {
        if (o instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw new IllegalArgumentException(file + ": '" + what + "' should be an object");
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o, Path file, String what) {
        if (o instanceof List<?> l) return (List<Object>) l;
        throw new IllegalArgumentException(file + ": '" + what + "' should be an array");
    }

    /** Token ids index arrays sized by the largest one: far above any real vocabulary (Qwen: ~152k) is an error. */
    static final int MAX_TOKEN_ID = (1 << 24) - 1;

    private static int toInt(Object o, Path file, String what) {
        if (o instanceof Long l && l >= 0 && l <= MAX_TOKEN_ID) return (int) (long) l;
        throw new IllegalArgumentException(file + ": '" + what + "' holds " + o + ", expected a token id (0.." + MAX_TOKEN_ID + ")");
    }
}
