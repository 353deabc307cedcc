package dev.qwen4j.cli;

import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.gguf.GgufModelFiles;
import dev.qwen4j.gguf.GgufValue;
import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code qwen4j inspect FILE.gguf}: what a GGUF file holds, without loading the model. */
@Command(name = "inspect", description = "Show a GGUF file's architecture, hyperparameters, tokenizer and tensors.")
final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "GGUF file")
    Path file;

    @Option(names = "--no-tensors", description = "Skip the tensor table.")
    boolean noTensors;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (GgufModelFiles model = GgufModelFiles.open(file)) {
            GgufFile gguf = model.header();
            List<Tensor> tensors = model.tensors();
            String arch = gguf.getString("general.architecture", "(none)");
            out.printf("file:          %s%n", file);
            String shards = model.shards().size() == 1 ? "" : " in " + model.shards().size() + " shards";
            out.printf("format:        GGUF v%d, %d metadata keys, %d tensors%s, alignment %d, %s%n",
                    gguf.version(), gguf.metadata().size(), tensors.size(), shards, gguf.alignment(), bytes(model.totalSize()));
            out.printf("architecture:  %s%n", printable(arch));
            String name = gguf.getString("general.name", null);
            if (name != null) out.printf("name:          %s%n", printable(name));

            out.println();
            out.println("hyperparameters:");
            String prefix = arch + ".";
            for (Map.Entry<String, GgufValue> e : gguf.metadata().entrySet()) {
                if (e.getKey().startsWith(prefix)) {
                    out.printf("  %-40s %s%n", printable(e.getKey().substring(prefix.length())), e.getValue().summary());
                }
            }

            out.println();
            out.println("tokenizer:");
            String[] tokens = gguf.getStringArray("tokenizer.ggml.tokens");
            String[] merges = gguf.getStringArray("tokenizer.ggml.merges");
            out.printf("  model %s, pre %s, %s tokens, %s merges%n",
                    printable(gguf.getString("tokenizer.ggml.model", "-")), printable(gguf.getString("tokenizer.ggml.pre", "-")),
                    tokens == null ? "no" : String.valueOf(tokens.length), merges == null ? "no" : String.valueOf(merges.length));
            out.printf("  bos %s, eos %s, pad %s%n", special(gguf, "bos", tokens), special(gguf, "eos", tokens), special(gguf, "padding", tokens));
            String template = gguf.getString("tokenizer.chat_template", null);
            out.printf("  chat template: %s%n", template == null ? "none" : "present (" + template.length() + " chars)");

            if (!noTensors && !tensors.isEmpty()) {
                out.println();
                out.printf("%-40s %-7s %-18s %12s%n", "tensor", "type", "shape", "bytes");
                for (Tensor t : tensors) {
                    out.printf("%-40s %-7s %-18s %12d%n", printable(t.name()), t.type(), t.shapeString(), t.byteSize());
                }
            }
            if (!tensors.isEmpty()) {
                Map<GgmlType, long[]> byType = new EnumMap<>(GgmlType.class);
                long totalParams = 0;
                for (Tensor t : tensors) {
                    long[] acc = byType.computeIfAbsent(t.type(), k -> new long[3]);
                    acc[0]++;
                    acc[1] += t.elementCount();
                    acc[2] += t.byteSize();
                    totalParams += t.elementCount();
                }
                out.println();
                out.println("totals by type:");
                long totalBytes = 0;
                for (Map.Entry<GgmlType, long[]> e : byType.entrySet()) {
                    out.printf("  %-7s %5d tensors %14d params %12s%n", e.getKey(), e.getValue()[0], e.getValue()[1], bytes(e.getValue()[2]));
                    totalBytes += e.getValue()[2];
                }
                out.printf("  %-7s %5d tensors %14d params %12s%n", "all", tensors.size(), totalParams, bytes(totalBytes));
            }
        }
        return 0;
    }

    private static String special(GgufFile gguf, String which, String[] tokens) {
        long id = gguf.getLong("tokenizer.ggml." + which + "_token_id", -1);
        if (id < 0) return "-";
        return tokens != null && id < tokens.length ? id + " " + printable(tokens[(int) id]) : String.valueOf(id);
    }

    /** Text from the file with control characters escaped, so a hostile name cannot break the one-line layout. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7F) sb.append(String.format("\\x%02x", (int) c));
            else sb.append(c);
        }
        return sb.toString();
    }

    static String bytes(long n) {
        if (n < 1024) return n + " B";
        if (n < 1024 * 1024) return String.format("%.1f KiB", n / 1024.0);
        if (n < 1024L * 1024 * 1024) return String.format("%.1f MiB", n / (1024.0 * 1024));
        return String.format("%.2f GiB", n / (1024.0 * 1024 * 1024));
    }
}
