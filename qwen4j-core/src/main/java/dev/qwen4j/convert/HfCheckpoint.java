package dev.qwen4j.convert;

import dev.qwen4j.json.Json;
import dev.qwen4j.json.JsonException;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Hugging Face checkpoint folder: {@code config.json}, the tokenizer files, and the weights in one
 * {@code model.safetensors} or several shards listed by {@code model.safetensors.index.json} (QWEN_SPEC.md §1.6).
 * All shards are memory-mapped; {@link #tensors()} is the union, each name in exactly one shard.
 */
public final class HfCheckpoint implements AutoCloseable {
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path directory;
    private final Map<String, Object> config;
    private final List<Safetensors> shards;
    private final Map<String, Safetensors.Entry> tensors;

    private HfCheckpoint(Path directory, Map<String, Object> config, List<Safetensors> shards, Map<String, Safetensors.Entry> tensors) {
        this.directory = directory;
        this.config = config;
        this.shards = shards;
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    /** True if {@code dir} looks like a checkpoint: a folder with a config.json and safetensors weights. */
    public static boolean isCheckpoint(Path dir) {
        if (!Files.isDirectory(dir) || !Files.isRegularFile(dir.resolve("config.json"))) return false;
        try {
            return !shardFiles(dir).isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    public static HfCheckpoint open(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new NoSuchFileException(dir.toString(), null, "not a checkpoint folder");
        Map<String, Object> config = readJson(dir.resolve("config.json"));
        List<Path> files = shardFiles(dir);
        if (files.isEmpty()) throw new CheckpointException(dir + ": no *.safetensors weights in this folder");
        List<Safetensors> shards = new ArrayList<>();
        Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>();
        try {
            for (Path f : files) {
                Safetensors s = Safetensors.open(f);
                shards.add(s);
                for (Safetensors.Entry e : s.tensors().values()) {
                    if (tensors.putIfAbsent(e.name(), e) != null) {
                        throw new CheckpointException(dir + ": tensor " + Json.quote(e.name()) + " is stored in more than one shard");
                    }
                }
            }
            Path index = dir.resolve(INDEX_FILE);
            if (Files.isRegularFile(index)) checkIndex(index, tensors, shards);
            return new HfCheckpoint(dir, config, shards, tensors);
        } catch (IOException | RuntimeException e) {
            shards.forEach(Safetensors::close);
            throw e;
        }
    }

    /** The shards: those named by the index, else {@code model.safetensors}, else every {@code *.safetensors}. */
    private static List<Path> shardFiles(Path dir) throws IOException {
        Path index = dir.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            Set<Path> files = new LinkedHashSet<>();
            for (Object file : weightMap(index).values()) {
                if (!(file instanceof String s) || s.contains("/") || s.contains("\\") || s.startsWith(".")) {
                    throw new CheckpointException(index + ": weight_map entry " + file + " is not a file name in this folder");
                }
                Path f = dir.resolve(s);
                if (!Files.isRegularFile(f)) throw new CheckpointException(index + ": shard " + s + " is missing");
                files.add(f);
            }
            return new ArrayList<>(files);
        }
        if (Files.isRegularFile(dir.resolve("model.safetensors"))) return List.of(dir.resolve("model.safetensors"));
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.safetensors")) {
            for (Path p : ds) if (Files.isRegularFile(p)) files.add(p);
        }
        Collections.sort(files);
        return files;
    }

    private static Map<String, Object> weightMap(Path index) throws IOException {
        Object map = readJson(index).get("weight_map");
        if (!(map instanceof Map<?, ?> m)) throw new CheckpointException(index + ": 'weight_map' should be an object");
        @SuppressWarnings("unchecked") Map<String, Object> r = (Map<String, Object>) m;
        return r;
    }

    private static void checkIndex(Path index, Map<String, Safetensors.Entry> tensors, List<Safetensors> shards) throws IOException {
        for (Map.Entry<String, Object> e : weightMap(index).entrySet()) {
            Safetensors.Entry t = tensors.get(e.getKey());
            String expected = index.resolveSibling((String) e.getValue()).toString();
            if (t == null) {
                throw new CheckpointException(index + ": tensor " + Json.quote(e.getKey()) + " is listed in " + e.getValue() + " but not stored there");
            }
            boolean inShard = shards.stream().anyMatch(s -> s.source().equals(expected) && s.tensors().containsKey(e.getKey()));
            if (!inShard) {
                throw new CheckpointException(index + ": tensor " + Json.quote(e.getKey()) + " is listed in " + e.getValue() + " but stored in another shard");
            }
        }
    }

    static Map<String, Object> readJson(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString());
        try {
            return Json.parseObject(Files.readString(file));
        } catch (JsonException e) {
            throw new CheckpointException(file + ": invalid JSON: " + e.getMessage());
        } catch (java.nio.charset.MalformedInputException e) {
            throw new CheckpointException(file + ": not UTF-8 text");
        }
    }

    public Path directory() {
        return directory;
    }

    /** config.json as parsed. */
    public Map<String, Object> config() {
        return config;
    }

    /** Every tensor of every shard, by name. */
    public Map<String, Safetensors.Entry> tensors() {
        return tensors;
    }

    @Override
    public void close() {
        shards.forEach(Safetensors::close);
    }
}
