package dev.qwen4j.cli;

import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.json.Json;
import dev.qwen4j.model.LanguageModel;
import dev.qwen4j.model.LoadOptions;
import dev.qwen4j.model.ModelState;
import dev.qwen4j.model.Models;
import dev.qwen4j.model.synthetic.SyntheticModel;
import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code qwen4j bench}: prompt-processing and generation speed in the manner of llama-bench, so the two can be run
 * side by side on the same file. {@code pp N} feeds N random tokens as one prompt into an empty state;
 * {@code tg N} decodes N tokens one at a time from an empty state. Each test first runs to warm up (until two
 * consecutive runs agree within 3%, at most 5 runs: the JIT compiles over the first ones), then {@code -r} times;
 * tok/s is reported as mean ± sample standard deviation.
 */
@Command(name = "bench", description = "Measure prompt processing (pp) and generation (tg) speed, like llama-bench.")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE", description = "GGUF model file(s)")
    List<Path> models = new ArrayList<>();

    @Option(names = "--synthetic", paramLabel = "NAME:TYPE",
            description = "Random weights of a real shape, e.g. qwen3.5-0.8b:q8_0 (written once to the cache folder). Presets: ${COMPLETION-CANDIDATES}",
            completionCandidates = Presets.class)
    List<String> synthetic = new ArrayList<>();

    @Option(names = {"-p", "--n-prompt"}, paramLabel = "N", split = ",", description = "Prompt lengths (default 512)")
    List<Integer> prompts = new ArrayList<>(List.of(512));

    @Option(names = {"-n", "--n-gen"}, paramLabel = "N", split = ",", description = "Generation lengths (default 128)")
    List<Integer> gens = new ArrayList<>(List.of(128));

    @Option(names = {"-t", "--threads"}, paramLabel = "N", split = ",", description = "Thread counts (default: one per core)")
    List<Integer> threads = new ArrayList<>();

    @Option(names = {"-r", "--repetitions"}, defaultValue = "3", paramLabel = "N", description = "Repetitions per test (default ${DEFAULT-VALUE})")
    int repetitions;

    @Option(names = "--kv-cache", paramLabel = "TYPE", description = "KV cache type: f32 (default) or f16")
    String kvCache;

    @Option(names = "--json", description = "One JSON object per test (llama-bench field names) instead of the table")
    boolean json;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Where synthetic models are written (default ~/.cache/qwen4j/synthetic)")
    Path cacheDir;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    static final class Presets extends ArrayList<String> {
        Presets() {
            super(SyntheticModel.presets().keySet());
        }
    }

    record Result(String modelType, long modelSize, long params, int threads, int nPrompt, int nGen, double[] samplesTs) {
        double avg() {
            double s = 0;
            for (double x : samplesTs) s += x;
            return s / samplesTs.length;
        }

        double stddev() {
            if (samplesTs.length < 2) return 0;
            double m = avg(), s = 0;
            for (double x : samplesTs) s += (x - m) * (x - m);
            return Math.sqrt(s / (samplesTs.length - 1));
        }

        String test() {
            return nPrompt > 0 ? "pp" + nPrompt : "tg" + nGen;
        }
    }

    @Override
    public Integer call() throws Exception {
        if (repetitions < 1) throw new IllegalArgumentException("-r must be ≥ 1");
        LoadOptions.KvCacheType cacheType = ModelOptions.kvCacheType(kvCache);
        for (int p : prompts) if (p < 0) throw new IllegalArgumentException("-p must be ≥ 0");
        for (int n : gens) if (n < 0) throw new IllegalArgumentException("-n must be ≥ 0");
        if (threads.isEmpty()) threads.add(Runtime.getRuntime().availableProcessors());
        for (int t : threads) {
            if (t < 1) throw new IllegalArgumentException("-t must be ≥ 1");
            ModelOptions.checkThreads("-t", t);
        }
        List<Path> files = new ArrayList<>(models);
        for (String s : synthetic) files.add(syntheticFile(s));
        if (files.isEmpty()) throw new IllegalArgumentException("nothing to measure: give -m FILE or --synthetic NAME:TYPE (e.g. qwen3.5-0.8b:q8_0)");

        PrintWriter out = spec.commandLine().getOut();
        if (!json) {
            out.printf("| %-28s | %10s | %8s | %7s | %6s | %16s |%n", "model", "size", "params", "threads", "test", "t/s");
            out.printf("| %-28s | %10s | %8s | %7s | %6s | %16s |%n", "-".repeat(28), "-".repeat(10) , "-".repeat(8), "-".repeat(7), "-".repeat(6), "-".repeat(16));
            out.flush();
        }
        for (Path file : files) {
            String type;
            long size, params;
            try (GgufFile gguf = GgufFile.open(file)) {
                type = modelType(gguf);
                size = 0;
                params = 0;
                for (Tensor t : gguf.tensors()) {
                    size += t.byteSize();
                    params += t.elementCount();
                }
            }
            for (int t : threads) {
                try (LanguageModel model = Models.load(file, LoadOptions.defaults().withThreads(t).withKvCacheType(cacheType))) {
                    for (int p : prompts) {
                        if (p > 0) report(out, new Result(type, size, params, t, p, 0, run(model, p, 0)));
                    }
                    for (int n : gens) {
                        if (n > 0) report(out, new Result(type, size, params, t, 0, n, run(model, 0, n)));
                    }
                }
            }
        }
        return 0;
    }

    private double[] run(LanguageModel model, int nPrompt, int nGen) {
        int vocab = model.vocabSize();
        SplittableRandom random = new SplittableRandom(42);
        int n = Math.max(nPrompt, nGen);
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) tokens[i] = random.nextInt(vocab);
        float[] logits = new float[vocab];
        ModelState state = model.newState(n);
        // Warm-up: llama-bench runs a test once first (caches, pages). The JVM also compiles its kernels over the
        // first runs (interpreter, C1, then C2 with a profile), so the test is repeated until a run is within 3% of
        // the one before, at most WARMUP_RUNS times; the samples then measure compiled code.
        double previous = 0;
        for (int w = 0; w < WARMUP_RUNS; w++) {
            double rate = once(model, state, tokens, nPrompt, nGen, logits);
            if (previous > 0 && Math.abs(rate - previous) <= 0.03 * previous) break;
            previous = rate;
        }
        double[] samples = new double[repetitions];
        for (int rep = 0; rep < repetitions; rep++) samples[rep] = once(model, state, tokens, nPrompt, nGen, logits);
        return samples;
    }

    /** Most warm-up runs of a test before its samples. */
    static final int WARMUP_RUNS = 5;

    /** One run of a test from an empty state: tokens per second. */
    private static double once(LanguageModel model, ModelState state, int[] tokens, int nPrompt, int nGen, float[] logits) {
        state.reset();
        long start = System.nanoTime();
        if (nPrompt > 0) {
            model.forward(state, tokens, 0, nPrompt, logits, false);
        } else {
            for (int i = 0; i < nGen; i++) model.forward(state, tokens, i, 1, logits, false);
        }
        return Math.max(nPrompt, nGen) / ((System.nanoTime() - start) / 1e9);
    }

    private void report(PrintWriter out, Result r) {
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("build_commit", "qwen4j");
            o.put("model_type", r.modelType);
            o.put("model_size", r.modelSize);
            o.put("model_n_params", r.params);
            o.put("n_threads", r.threads);
            String cache = ModelOptions.kvCacheType(kvCache).name().toLowerCase(Locale.ROOT);
            o.put("type_k", cache);
            o.put("type_v", cache);
            o.put("n_prompt", r.nPrompt);
            o.put("n_gen", r.nGen);
            o.put("avg_ts", r.avg());
            o.put("stddev_ts", r.stddev());
            List<Object> samples = new ArrayList<>();
            for (double s : r.samplesTs) samples.add(s);
            o.put("samples_ts", samples);
            out.println(Json.write(o));
        } else {
            out.printf(Locale.ROOT, "| %-28s | %10s | %8s | %7d | %6s | %16s |%n", r.modelType, InspectCommand.bytes(r.modelSize),
                    String.format(Locale.ROOT, "%.2f B", r.params / 1e9), r.threads, r.test(),
                    String.format(Locale.ROOT, "%.2f ± %.2f", r.avg(), r.stddev()));
        }
        out.flush();
    }

    /**
     * "qwen35 0.75B Q8_0": architecture, parameter count and the weight type of most matrices (a Q4_K_M file is
     * mostly Q4_K, though its large Q6_K output head holds more bytes).
     */
    static String modelType(GgufFile gguf) {
        Map<GgmlType, Long> matricesByType = new EnumMap<>(GgmlType.class);
        long params = 0;
        for (Tensor t : gguf.tensors()) {
            params += t.elementCount();
            if (t.shape().length >= 2) matricesByType.merge(t.type(), 1L, Long::sum);
        }
        GgmlType main = matricesByType.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(GgmlType.F32);
        return String.format(Locale.ROOT, "%s %.2fB %s", gguf.getString("general.architecture", "?"), params / 1e9, main);
    }

    private Path syntheticFile(String specText) throws Exception {
        SyntheticModel.Spec s = SyntheticModel.parse(specText);
        Path dir = cacheDir != null ? cacheDir : Path.of(System.getProperty("user.home"), ".cache", "qwen4j", "synthetic");
        Files.createDirectories(dir);
        Path file = dir.resolve(s.name() + "-" + s.weightType().name().toLowerCase(Locale.ROOT) + ".gguf");
        if (!Files.exists(file)) {
            System.err.println("qwen4j: writing synthetic " + s.name() + " " + s.weightType() + " to " + file + " ...");
            SyntheticModel.write(file, s.shape(), s.weightType(), 1234);
        }
        return file;
    }
}
