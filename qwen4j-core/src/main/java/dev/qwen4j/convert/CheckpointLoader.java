package dev.qwen4j.convert;

import dev.qwen4j.model.LanguageModel;
import dev.qwen4j.model.LoadOptions;
import dev.qwen4j.model.Models;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads a Hugging Face checkpoint folder as a model: converts it (F32 / F16 / BF16 weights kept as they are) to a
 * temporary GGUF under the system temp folder and loads that. The temporary file takes about as much disk as the
 * checkpoint and is deleted as soon as it is mapped (on systems that refuse to delete a mapped file, when the JVM
 * exits).
 */
public final class CheckpointLoader {
    private CheckpointLoader() {
    }

    public static LanguageModel load(Path dir, LoadOptions options) throws IOException {
        Path tmp = temporaryGguf(dir);
        try {
            return Models.load(tmp, options);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException e) {
                tmp.toFile().deleteOnExit();
            }
        }
    }

    /**
     * The checkpoint converted to a temporary GGUF with its stored weight types, for callers that open the file
     * more than once (tokenizer, then weights). The caller deletes it; failing that it goes when the JVM exits.
     */
    public static Path temporaryGguf(Path dir) throws IOException {
        if (!HfCheckpoint.isCheckpoint(dir)) {
            throw new CheckpointException(dir + ": is a directory but not a Hugging Face checkpoint (needs config.json and *.safetensors)");
        }
        Path tmp = Files.createTempFile("qwen4j-checkpoint-", ".gguf");
        tmp.toFile().deleteOnExit();
        try {
            CheckpointConverter.convert(dir, tmp, TargetType.SOURCE, line -> { });
            return tmp;
        } catch (IOException | RuntimeException | Error e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }
}
