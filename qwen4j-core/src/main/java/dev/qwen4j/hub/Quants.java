package dev.qwen4j.hub;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the quant tag out of GGUF file names as publishers write them ({@code Qwen3-0.6B-Q8_0.gguf}, {@code qwen2.5-0.5b-instruct-q4_k_m.gguf}). */
public final class Quants {
    /** The tag at the end of the name: an optional Unsloth {@code UD-} prefix, then Qn…, IQn…, F16, BF16, FP16, F32. */
    private static final Pattern TAG = Pattern.compile(
            "(?i)(?:^|[-._])((?:UD-)?(?:I?Q\\d(?:_[A-Z0-9]+)*|BF16|FP16|F16|F32))$");
    private static final Pattern SPLIT_PART = Pattern.compile("(?i)-\\d{5}-of-\\d{5}$");
    /** What to take when the user names no quant and the catalogue has no default: good quality per byte first. */
    private static final List<String> PREFERENCE = List.of("Q4_K_M", "Q4_K_S", "Q5_K_M", "Q4_0", "Q6_K", "Q8_0",
            "UD-Q4_K_XL", "IQ4_XS", "Q5_0", "Q5_K_S", "Q3_K_M", "BF16", "F16", "FP16", "F32");

    private Quants() {
    }

    /** Upper-case form used for comparisons and messages. */
    public static String normalize(String quant) {
        return quant.trim().toUpperCase(Locale.ROOT);
    }

    /**
     * The quant of a single-file GGUF model, or empty for names that are not one: other files, vision projectors
     * ({@code mmproj-…}) and parts of split models ({@code …-00001-of-00003.gguf}), which qwen4j does not load.
     */
    public static Optional<String> of(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        String lower = name.toLowerCase(Locale.ROOT);
        if (!lower.endsWith(".gguf") || lower.startsWith("mmproj")) return Optional.empty();
        String stem = name.substring(0, name.length() - ".gguf".length());
        if (SPLIT_PART.matcher(stem).find()) return Optional.empty();
        Matcher m = TAG.matcher(stem);
        return m.find() ? Optional.of(normalize(m.group(1))) : Optional.empty();
    }

    /** The distinct quants among {@code files}, in listing order. */
    public static List<String> available(Collection<String> files) {
        Set<String> quants = new LinkedHashSet<>();
        for (String f : files) of(f).ifPresent(quants::add);
        return new ArrayList<>(quants);
    }

    /** The file in {@code files} that holds {@code quant} (case-insensitive), preferring one at the top level. */
    public static Optional<String> fileFor(Collection<String> files, String quant) {
        String q = normalize(quant);
        String best = null;
        for (String f : files) {
            if (of(f).filter(q::equals).isEmpty()) continue;
            if (best == null || (best.contains("/") && !f.contains("/"))) best = f;
        }
        return Optional.ofNullable(best);
    }

    /** The quant to take when none was asked for: {@code preferred} if present, else the best of {@link #PREFERENCE}. */
    public static Optional<String> choose(List<String> available, String preferred) {
        if (preferred != null && available.contains(normalize(preferred))) return Optional.of(normalize(preferred));
        for (String q : PREFERENCE) {
            if (available.contains(q)) return Optional.of(q);
        }
        return available.isEmpty() ? Optional.empty() : Optional.of(available.getFirst());
    }
}
