package dev.qwen4j.hub;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Short names ({@code qwen3.5:0.8b}) for public GGUF repositories on Hugging Face. Only the repository and the
 * default quant are fixed here; the file for a quant is found in the repository's file listing at pull time, so a
 * renamed file or a new quant needs no change in this table.
 */
public final class Catalogue {
    /** What {@code qwen4j run} uses when no model is named. */
    public static final String DEFAULT_MODEL = "qwen3.5:0.8b";

    /** One catalogue name. {@code defaultQuant} is used when the name carries no quant suffix. */
    public record Entry(String name, String repo, String defaultQuant) {
    }

    private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>();
    private static final Map<String, String> DEFAULT_SIZE = new LinkedHashMap<>();

    static {
        // Qwen3.5 (hybrid DeltaNet): Qwen publishes no GGUF; Unsloth's conversions are the usual choice.
        for (String size : List.of("0.8B", "2B", "4B", "9B")) {
            add("qwen3.5", size, "unsloth/Qwen3.5-" + size + "-GGUF", "Q4_K_M");
        }
        // Qwen3: official repos. The two small ones are published in Q8_0 only.
        add("qwen3", "0.6B", "Qwen/Qwen3-0.6B-GGUF", "Q8_0");
        add("qwen3", "1.7B", "Qwen/Qwen3-1.7B-GGUF", "Q8_0");
        add("qwen3", "4B", "Qwen/Qwen3-4B-GGUF", "Q4_K_M");
        add("qwen3", "8B", "Qwen/Qwen3-8B-GGUF", "Q4_K_M");
        // Qwen2.5 Instruct: official repos; the official 7B files are split in parts, so 7B comes from bartowski.
        add("qwen2.5", "0.5B", "Qwen/Qwen2.5-0.5B-Instruct-GGUF", "Q4_K_M");
        add("qwen2.5", "1.5B", "Qwen/Qwen2.5-1.5B-Instruct-GGUF", "Q4_K_M");
        add("qwen2.5", "3B", "Qwen/Qwen2.5-3B-Instruct-GGUF", "Q4_K_M");
        add("qwen2.5", "7B", "bartowski/Qwen2.5-7B-Instruct-GGUF", "Q4_K_M");
        DEFAULT_SIZE.put("qwen3.5", "0.8b");
        DEFAULT_SIZE.put("qwen3", "0.6b");
        DEFAULT_SIZE.put("qwen2.5", "0.5b");
    }

    private Catalogue() {
    }

    private static void add(String family, String size, String repo, String quant) {
        String name = family + ":" + size.toLowerCase(Locale.ROOT);
        ENTRIES.put(name, new Entry(name, repo, quant));
    }

    public static List<Entry> entries() {
        return List.copyOf(ENTRIES.values());
    }

    /** The entry for {@code family:size} (lower case), if there is one. */
    public static Optional<Entry> find(String name) {
        return Optional.ofNullable(ENTRIES.get(name.toLowerCase(Locale.ROOT)));
    }

    static boolean isFamily(String family) {
        return DEFAULT_SIZE.containsKey(family.toLowerCase(Locale.ROOT));
    }

    static String defaultSize(String family) {
        return DEFAULT_SIZE.get(family.toLowerCase(Locale.ROOT));
    }

    static List<String> sizes(String family) {
        List<String> sizes = new ArrayList<>();
        for (String name : ENTRIES.keySet()) {
            if (name.startsWith(family + ":")) sizes.add(name.substring(family.length() + 1));
        }
        return sizes;
    }

    /** The catalogue name for a repository, so {@code qwen4j list} can show {@code qwen3:0.6b} rather than the repo. */
    public static Optional<Entry> byRepo(String repo) {
        return ENTRIES.values().stream().filter(e -> e.repo().equalsIgnoreCase(repo)).findFirst();
    }
}
