package dev.qwen4j.gguf;

import dev.qwen4j.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model stored as one GGUF file or split into shards {@code name-00001-of-00003.gguf} … (QWEN_SPEC.md §1.1.3,
 * "Split models"). Every shard is a complete GGUF file; the metadata comes from the first, the tensors are the union
 * of all shards' tensors in shard order. Opening any shard of a set opens the whole set.
 */
public final class GgufModelFiles implements AutoCloseable {
    private static final Pattern SHARD_NAME = Pattern.compile("(.*)-(\\d{5})-of-(\\d{5})\\.gguf");
    static final String SPLIT_NO = "split.no", SPLIT_COUNT = "split.count", SPLIT_TENSORS_COUNT = "split.tensors.count";

    private final List<GgufFile> shards;
    private final List<Tensor> tensors;
    private final Map<String, Tensor> tensorsByName;
    private final Map<Tensor, GgufFile> shardOf;

    private GgufModelFiles(List<GgufFile> shards, List<Tensor> tensors, Map<String, Tensor> byName, Map<Tensor, GgufFile> shardOf) {
        this.shards = List.copyOf(shards);
        this.tensors = Collections.unmodifiableList(tensors);
        this.tensorsByName = Collections.unmodifiableMap(byName);
        this.shardOf = shardOf;
    }

    /**
     * Opens a single GGUF file, or the whole split set when {@code path} is named like one of its shards. A missing
     * shard, a shard numbered or counted differently from its file name, a tensor present in two shards or a total
     * that disagrees with {@code split.tensors.count} is an {@link IOException} naming the shard.
     */
    public static GgufModelFiles open(Path path) throws IOException {
        Matcher m = SHARD_NAME.matcher(path.getFileName().toString());
        List<Path> paths = new ArrayList<>();
        if (m.matches() && Integer.parseInt(m.group(3)) > 0) {
            int count = Integer.parseInt(m.group(3));
            for (int i = 1; i <= count; i++) {
                paths.add(path.resolveSibling(String.format("%s-%05d-of-%05d.gguf", m.group(1), i, count)));
            }
        } else {
            paths.add(path);
        }
        List<GgufFile> shards = new ArrayList<>();
        try {
            for (int i = 0; i < paths.size(); i++) {
                Path p = paths.get(i);
                if (paths.size() > 1 && !Files.exists(p)) {
                    throw new NoSuchFileException(p.toString(), null, "shard " + (i + 1) + " of " + paths.size() + " is missing");
                }
                shards.add(GgufFile.open(p));
            }
            return merge(shards);
        } catch (IOException | RuntimeException | Error e) {
            for (GgufFile f : shards) f.close();
            throw e;
        }
    }

    /** A model made of already-open shards, in order; closing it closes them. */
    public static GgufModelFiles of(List<GgufFile> shards) throws GgufFormatException {
        if (shards.isEmpty()) throw new IllegalArgumentException("no GGUF files");
        return merge(shards);
    }

    private static GgufModelFiles merge(List<GgufFile> shards) throws GgufFormatException {
        int count = shards.size();
        GgufFile first = shards.getFirst();
        long declaredCount = splitKey(first, SPLIT_COUNT, count > 1 ? -1 : 1);
        if (declaredCount != count && !(count == 1 && declaredCount <= 1)) {
            throw new GgufFormatException(first.source() + ": " + SPLIT_COUNT + " is " + declaredCount + " but "
                    + (count == 1 ? "the file name is not that of a shard (NAME-00001-of-0000N.gguf), so the other shards cannot be found"
                    : count + " shards were found"), -1);
        }
        List<Tensor> tensors = new ArrayList<>();
        Map<String, Tensor> byName = new LinkedHashMap<>();
        Map<Tensor, GgufFile> shardOf = new java.util.IdentityHashMap<>();
        for (int i = 0; i < count; i++) {
            GgufFile shard = shards.get(i);
            if (count > 1) {
                long no = splitKey(shard, SPLIT_NO, -1);
                long shardCount = splitKey(shard, SPLIT_COUNT, -1);
                if (no != i || shardCount != count) {
                    throw new GgufFormatException(shard.source() + ": expected shard " + i + " of " + count + " (0-based), its "
                            + SPLIT_NO + "/" + SPLIT_COUNT + " say " + no + "/" + shardCount, -1);
                }
            }
            for (Tensor t : shard.tensors()) {
                Tensor clash = byName.putIfAbsent(t.name(), t);
                if (clash != null) {
                    throw new GgufFormatException(shard.source() + ": tensor " + GgufFile.shown(t.name()) + " is also in "
                            + shardOf.get(clash).source(), -1);
                }
                tensors.add(t);
                shardOf.put(t, shard);
            }
        }
        long declaredTensors = splitKey(first, SPLIT_TENSORS_COUNT, tensors.size());
        if (declaredTensors != tensors.size()) {
            throw new GgufFormatException(first.source() + ": " + SPLIT_TENSORS_COUNT + " is " + declaredTensors + " but the "
                    + count + " shard(s) hold " + tensors.size() + " tensors", -1);
        }
        return new GgufModelFiles(shards, tensors, byName, shardOf);
    }

    /** An integer split key, or {@code fallback} when the shard has none; a non-integer value is a format error. */
    private static long splitKey(GgufFile f, String key, long fallback) throws GgufFormatException {
        try {
            return f.getLong(key, fallback);
        } catch (IllegalArgumentException e) {
            throw new GgufFormatException(e.getMessage(), -1);
        }
    }

    /** The first shard: its metadata is the model's (use its getters: {@code header().getInt(...)}). */
    public GgufFile header() {
        return shards.getFirst();
    }

    public Map<String, GgufValue> metadata() {
        return header().metadata();
    }

    public String architecture() {
        return header().architecture();
    }

    public List<GgufFile> shards() {
        return shards;
    }

    /** All tensors of all shards, shard by shard in file order. */
    public List<Tensor> tensors() {
        return tensors;
    }

    public Optional<Tensor> findTensor(String name) {
        return Optional.ofNullable(tensorsByName.get(name));
    }

    /** The tensor with this name; a clear exception if no shard has it. */
    public Tensor tensor(String name) {
        Tensor t = tensorsByName.get(name);
        if (t == null) throw new IllegalArgumentException(header().source() + ": missing tensor " + GgufFile.shown(name));
        return t;
    }

    /** The shard holding a tensor of this model. */
    public GgufFile shardOf(Tensor t) {
        GgufFile f = shardOf.get(t);
        if (f == null) throw new IllegalArgumentException("tensor " + t.name() + " is not one of this model's");
        return f;
    }

    /** Total bytes of all shard files. */
    public long totalSize() {
        return shards.stream().mapToLong(GgufFile::fileSize).sum();
    }

    @Override
    public void close() {
        for (GgufFile f : shards) f.close();
    }
}
