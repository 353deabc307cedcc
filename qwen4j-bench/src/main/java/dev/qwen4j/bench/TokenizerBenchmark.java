package dev.qwen4j.bench;

import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.tokenizer.Tokenizer;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Encoding speed of the Qwen3 vocabulary (151,936 tokens) on one thread, as megabytes of UTF-8 text per second
 * (secondary metric {@code mb}). The text is mixed: the spec (English prose, tables, code, some CJK) followed
 * by llama.cpp's tokenizer corpora (many scripts, emoji, whitespace runs). {@code nfc} toggles Qwen's NFC
 * normalisation. Run from the repository root: {@code qwen4j-bench/run -f 1 -wi 3 -i 5 TokenizerBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class TokenizerBenchmark {

    @Param({"../shared"})
    public String shared;

    @Param({"true", "false"})
    public boolean nfc;

    private Tokenizer tokenizer;
    private String text;
    private double megabytes;

    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Traffic {
        public double mb;
    }

    @Setup
    public void setUp() throws Exception {
        Path root = Path.of(shared);
        try (GgufFile vocab = GgufFile.open(root.resolve("fixtures/tokenizer/ggml-vocab-qwen3.gguf"))) {
            tokenizer = Tokenizer.fromGguf(vocab).withNfc(nfc);
        }
        StringBuilder sb = new StringBuilder(Files.readString(root.resolve("docs/QWEN_SPEC.md")));
        for (String corpus : new String[]{"ggml-vocab-qwen2.gguf.inp", "ggml-vocab-qwen35.gguf.inp"}) {
            sb.append(Files.readString(root.resolve("fixtures/tokenizer").resolve(corpus)).replace("\n__ggml_vocab_test__\n", "\n"));
        }
        text = sb.toString();
        megabytes = text.getBytes(StandardCharsets.UTF_8).length / 1e6;
    }

    @Benchmark
    public int[] encode(Traffic traffic) {
        traffic.mb += megabytes;
        return tokenizer.encode(text);
    }
}
