package dev.qwen4j.hub;

import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the user typed to name a model, parsed but not yet looked up:
 * <ul>
 *   <li>a catalogue name — {@code qwen3.5:0.8b}, {@code qwen3:4b-q8_0}, {@code qwen2.5:1.5b:q4_k_m}, or just
 *       {@code qwen3} for the family's default size;</li>
 *   <li>a Hugging Face repository — {@code hf.co/USER/REPO[:QUANT]} or {@code hf.co/USER/REPO/FILE.gguf};</li>
 *   <li>anything else is a path to a GGUF file.</li>
 * </ul>
 * {@link ModelResolver} turns a reference into a local file, pulling it on first use.
 */
public sealed interface ModelRef {

    /** A GGUF file on disk, used as is. */
    record LocalFile(Path path) implements ModelRef {
        @Override
        public String displayName() {
            return path.toString();
        }
    }

    /**
     * A model in a hub repository.
     *
     * @param repo     {@code USER/REPO}
     * @param quant    the quant asked for (upper case), or null for the default
     * @param file     an exact file path in the repository, or null to choose by quant
     * @param defaultQuant the catalogue's default quant, or null
     * @param name     how the user named it, for messages
     */
    record HubModel(String repo, String quant, String file, String defaultQuant, String name) implements ModelRef {
        public static final String REVISION = "main";

        @Override
        public String displayName() {
            return name;
        }
    }

    String displayName();

    Pattern CATALOGUE_NAME = Pattern.compile("(?i)^(qwen3\\.5|qwen3|qwen2\\.5)(?::([0-9.]+b))?(?:[-:]([A-Za-z0-9_-]+))?$");
    Pattern HUB_PREFIX = Pattern.compile("(?i)^(?:https?://)?(?:hf\\.co|huggingface\\.co)/");

    /** Parses a model name; null or blank means {@link Catalogue#DEFAULT_MODEL}. */
    static ModelRef parse(String spec) {
        if (spec == null || spec.isBlank()) spec = Catalogue.DEFAULT_MODEL;
        spec = spec.trim();
        Matcher hub = HUB_PREFIX.matcher(spec);
        if (hub.find()) return parseHub(spec, spec.substring(hub.end()));
        Matcher m = CATALOGUE_NAME.matcher(spec);
        if (m.matches()) {
            String family = m.group(1).toLowerCase(Locale.ROOT);
            String size = m.group(2) == null ? Catalogue.defaultSize(family) : m.group(2).toLowerCase(Locale.ROOT);
            Catalogue.Entry entry = Catalogue.find(family + ":" + size).orElseThrow(() -> new IllegalArgumentException(
                    "unknown model size '" + m.group(2) + "' for " + family + "; known: "
                            + String.join(", ", Catalogue.sizes(family).stream().map(s -> family + ":" + s).toList())));
            String quant = m.group(3) == null ? null : Quants.normalize(m.group(3));
            return new HubModel(entry.repo(), quant, null, entry.defaultQuant(), spec.toLowerCase(Locale.ROOT));
        }
        return new LocalFile(Path.of(spec));
    }

    private static HubModel parseHub(String spec, String rest) {
        String quant = null;
        int colon = rest.lastIndexOf(':');
        if (colon > rest.lastIndexOf('/')) {
            quant = Quants.normalize(rest.substring(colon + 1));
            rest = rest.substring(0, colon);
            if (quant.isEmpty()) quant = null;
        }
        while (rest.endsWith("/")) rest = rest.substring(0, rest.length() - 1);
        String[] parts = rest.split("/", 3);
        if (parts.length < 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new IllegalArgumentException("'" + spec + "' is not of the form hf.co/USER/REPO[:QUANT]");
        }
        String repo = parts[0] + "/" + parts[1];
        String file = null;
        if (parts.length == 3) {
            file = parts[2];
            // a browser URL: hf.co/USER/REPO/blob/main/FILE.gguf or …/resolve/main/FILE.gguf
            Matcher browser = Pattern.compile("^(?:blob|resolve)/[^/]+/(.+)$").matcher(file);
            if (browser.matches()) file = browser.group(1);
            if (quant != null) throw new IllegalArgumentException("'" + spec + "' names both a file and a quant");
        }
        return new HubModel(repo, quant, file, null, spec);
    }
}
