package dev.qwen4j.cli;

import dev.qwen4j.convert.CheckpointConverter;
import dev.qwen4j.convert.HfCheckpoint;
import dev.qwen4j.convert.GgufRequantizer;
import dev.qwen4j.convert.TargetType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code qwen4j quantize IN OUT.gguf --type q4_k_m}: converts a Hugging Face checkpoint folder to GGUF, or
 * re-encodes a GGUF file, with the given weight type. Progress per tensor goes to stderr; the output is written
 * to a temporary file and moved into place, so a failed run leaves nothing behind.
 */
@Command(name = "quantize", description = "Convert a Hugging Face checkpoint or a GGUF file to GGUF with another weight type.")
final class QuantizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "GGUF file, or a Hugging Face checkpoint folder (config.json, tokenizer.json, *.safetensors)")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "GGUF file to write")
    Path out;

    @Option(names = {"-t", "--type"}, required = true, paramLabel = "TYPE",
            description = "Weight type: q8_0, q4_0, q4_k_m (Q4_K with Q6_K for the output head and some attn_v/ffn_down), f16, bf16, f32")
    String type;

    @Option(names = {"-q", "--quiet"}, description = "No per-tensor progress on stderr.")
    boolean quiet;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        TargetType target;
        try {
            target = TargetType.parse(type);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (!Files.exists(in)) throw new NoSuchFileException(in.toString());
        if (Files.exists(out) && Files.isSameFile(in, out)) {
            throw new IllegalArgumentException("refusing to overwrite the input " + in + "; choose another OUT");
        }
        if (Files.isDirectory(out)) throw new IllegalArgumentException(out + " is a directory; OUT must be a file name");
        Path folder = out.toAbsolutePath().getParent();
        if (folder != null && !Files.isDirectory(folder)) throw new IllegalArgumentException("no such folder: " + folder);
        PrintWriter err = spec.commandLine().getErr();
        long start = System.nanoTime();
        if (Files.isDirectory(in) && !HfCheckpoint.isCheckpoint(in)) {
            throw new IllegalArgumentException(in + ": is a directory, not a GGUF file or a Hugging Face checkpoint (config.json, *.safetensors)");
        }
        if (Files.isDirectory(in)) {
            CheckpointConverter.convert(in, out, target, line -> progress(err, line));
        } else {
            GgufRequantizer.requantize(in, out, target, line -> progress(err, line));
        }
        err.printf("wrote %s (%.1f MB) in %.1f s%n", out, Files.size(out) / 1e6, (System.nanoTime() - start) / 1e9);
        err.flush();
        return 0;
    }

    private void progress(PrintWriter err, String line) {
        if (quiet) return;
        err.println(line);
        err.flush();
    }
}
