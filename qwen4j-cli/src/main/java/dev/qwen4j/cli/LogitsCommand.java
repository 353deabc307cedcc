package dev.qwen4j.cli;

import dev.qwen4j.model.LanguageModel;
import dev.qwen4j.model.LoadOptions;
import dev.qwen4j.model.ModelState;
import dev.qwen4j.model.Models;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code qwen4j logits --model FILE --tokens 785,3974,13876}: feeds the ids as one prompt and prints, per position,
 * one JSON line {@code {"pos":0,"token":785,"top":[[id,logit],...]}} — for comparing against other engines.
 */
@Command(name = "logits", description = "Print the logits a model gives for a sequence of token ids (one JSON line per position).")
final class LogitsCommand implements Callable<Integer> {
    private static final int BATCH = 64;

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "GGUF model file")
    Path model;

    @Option(names = "--tokens", required = true, paramLabel = "IDS", description = "Comma-separated token ids, fed as one prompt")
    String tokens;

    @Option(names = "--top", defaultValue = "20", paramLabel = "K", description = "Logits to list per position, highest first (default ${DEFAULT-VALUE})")
    int top;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N", description = "Kernel threads (0 = one per core)")
    int threads;

    @Option(names = "--all", description = "Also print every logit of each position")
    boolean all;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        int[] ids = parseIds();
        if (top < 0) throw new IllegalArgumentException("--top must be ≥ 0, got " + top);
        PrintWriter out = spec.commandLine().getOut();
        try (LanguageModel m = Models.load(model, LoadOptions.defaults().withThreads(ModelOptions.checkThreads("--threads", threads)))) {
            int vocab = m.vocabSize();
            for (int id : ids) {
                if (id >= vocab) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + model + " (0.." + (vocab - 1) + ")");
            }
            // One prompt, fed in slices so that only BATCH rows of logits are held at a time (a long prompt
            // times a 248k vocabulary would not fit); the state carries over, so the result is the same.
            ModelState state = m.newState(ids.length);
            float[] logits = new float[Math.min(BATCH, ids.length) * vocab];
            for (int start = 0; start < ids.length; start += BATCH) {
                int n = Math.min(BATCH, ids.length - start);
                m.forward(state, ids, start, n, logits, true);
                for (int i = 0; i < n; i++) out.println(line(start + i, ids[start + i], logits, i * vocab, vocab));
            }
        }
        out.flush();
        return 0;
    }

    private int[] parseIds() {
        String[] parts = tokens.split(",");
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i].trim();
            try {
                ids[i] = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--tokens: '" + p + "' is not a token id (expected comma-separated integers)");
            }
            if (ids[i] < 0) throw new IllegalArgumentException("--tokens: token id " + ids[i] + " is negative");
        }
        return ids;
    }

    private String line(int pos, int token, float[] logits, int off, int vocab) {
        StringBuilder sb = new StringBuilder(64 + 16 * top + (all ? 14 * vocab : 0));
        sb.append("{\"pos\":").append(pos).append(",\"token\":").append(token).append(",\"top\":[");
        int[] best = topK(logits, off, vocab, Math.min(top, vocab));
        for (int i = 0; i < best.length; i++) {
            if (i > 0) sb.append(',');
            sb.append('[').append(best[i]).append(',');
            number(sb, logits[off + best[i]]).append(']');
        }
        sb.append(']');
        if (all) {
            sb.append(",\"logits\":[");
            for (int i = 0; i < vocab; i++) {
                if (i > 0) sb.append(',');
                number(sb, logits[off + i]);
            }
            sb.append(']');
        }
        return sb.append('}').toString();
    }

    /** A logit as JSON: a broken model's NaN or infinity becomes null (as {@code Json.write} does), never invalid JSON. */
    private static StringBuilder number(StringBuilder sb, float v) {
        return Float.isFinite(v) ? sb.append(v) : sb.append("null");
    }

    /** The k highest logits' ids, highest first, ties to the lower id. */
    static int[] topK(float[] logits, int off, int n, int k) {
        int[] best = new int[k];
        int size = 0;
        for (int id = 0; id < n; id++) {
            float v = logits[off + id];
            if (size == k && (k == 0 || !(v > logits[off + best[k - 1]]))) continue;
            int at = size < k ? size++ : k - 1;
            while (at > 0 && v > logits[off + best[at - 1]]) {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = id;
        }
        return best;
    }
}
