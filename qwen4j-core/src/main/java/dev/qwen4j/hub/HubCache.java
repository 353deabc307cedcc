package dev.qwen4j.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The Hugging Face hub cache layout, shared with huggingface_hub, llama.cpp and others:
 * <pre>
 * hub/models--USER--REPO/
 *     refs/main                        the commit hash "main" pointed at when last seen
 *     blobs/&lt;etag&gt;                     file contents, named by the hub's ETag (sha256 for LFS files)
 *     blobs/&lt;etag&gt;.incomplete          a download in progress, resumed from its length
 *     snapshots/&lt;commit&gt;/&lt;file&gt;        symlink to ../../blobs/&lt;etag&gt;
 * hub/.locks/models--USER--REPO/&lt;etag&gt;.lock
 * </pre>
 */
public final class HubCache {
    private static final String PREFIX = "models--";

    /** One model file present in the cache. {@code path} is the snapshot entry a model loader opens. */
    public record CachedFile(String repo, String commit, String file, Path path, Path blob, long size,
                             FileTime modified, boolean current) {
        public Optional<String> quant() {
            return Quants.of(file);
        }

        /**
         * The shortest name that {@link ModelRef#parse} turns back into this file: {@code qwen3.5:0.8b-q4_k_m} for
         * catalogue repos, {@code hf.co/USER/REPO:QUANT} otherwise, {@code hf.co/USER/REPO/FILE} when the name has
         * no quant tag.
         */
        public String displayName() {
            Optional<String> quant = quant();
            Optional<Catalogue.Entry> entry = Catalogue.byRepo(repo);
            if (entry.isPresent() && quant.isPresent()) return entry.get().name() + "-" + quant.get().toLowerCase(Locale.ROOT);
            return quant.map(q -> "hf.co/" + repo + ":" + q).orElse("hf.co/" + repo + "/" + file);
        }
    }

    private final Path root;

    public HubCache(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    static String folderName(String repo) {
        return PREFIX + repo.replace("/", "--");
    }

    public Path repoDir(String repo) {
        return root.resolve(folderName(repo));
    }

    Path blob(String repo, String etag) {
        return repoDir(repo).resolve("blobs").resolve(etag);
    }

    Path incomplete(String repo, String etag) {
        return repoDir(repo).resolve("blobs").resolve(etag + ".incomplete");
    }

    Path snapshot(String repo, String commit, String file) {
        return repoDir(repo).resolve("snapshots").resolve(commit).resolve(file);
    }

    Path lockFile(String repo, String etag) {
        return root.resolve(".locks").resolve(folderName(repo)).resolve(etag + ".lock");
    }

    Optional<String> ref(String repo, String revision) throws IOException {
        Path ref = repoDir(repo).resolve("refs").resolve(revision);
        if (!Files.isRegularFile(ref)) return Optional.empty();
        String commit = Files.readString(ref, StandardCharsets.UTF_8).trim();
        return commit.isEmpty() ? Optional.empty() : Optional.of(commit);
    }

    void writeRef(String repo, String revision, String commit) throws IOException {
        Path ref = repoDir(repo).resolve("refs").resolve(revision);
        Files.createDirectories(ref.getParent());
        // not createTempFile: its 0600 mode would make the ref unreadable to other users sharing the cache
        Path tmp = ref.resolveSibling(revision + "." + ProcessHandle.current().pid() + "." + Thread.currentThread().threadId() + ".tmp");
        Files.writeString(tmp, commit, StandardCharsets.UTF_8);
        Files.move(tmp, ref, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Makes {@code snapshots/<commit>/<file>} point at the blob: a relative symlink as huggingface_hub makes it,
     * or a copy where the file system has no symlinks.
     */
    Path link(String repo, String commit, String file, String etag) throws IOException {
        Path snap = snapshot(repo, commit, file);
        Path blob = blob(repo, etag);
        Files.createDirectories(snap.getParent());
        if (Files.isSymbolicLink(snap) || Files.exists(snap, LinkOption.NOFOLLOW_LINKS)) {
            if (Files.exists(snap) && Files.isSameFile(snap, blob)) return snap;
            Files.delete(snap);
        }
        try {
            Files.createSymbolicLink(snap, snap.getParent().relativize(blob));
        } catch (FileAlreadyExistsException e) {
            // another process linked it meanwhile; it points at the same verified content
        } catch (UnsupportedOperationException | IOException e) {
            Files.copy(blob, snap, StandardCopyOption.REPLACE_EXISTING);
        }
        return snap;
    }

    /** The files (relative, '/'-separated) present in one snapshot, skipping dangling links. */
    List<String> snapshotFiles(String repo, String commit) throws IOException {
        Path dir = repoDir(repo).resolve("snapshots").resolve(commit);
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(p -> !Files.isDirectory(p) && Files.exists(p))
                    .map(p -> dir.relativize(p).toString().replace('\\', '/'))
                    .sorted().toList();
        }
    }

    /** Snapshot commits of a repo, the one {@code refs/<revision>} names first, then newest first. */
    List<String> commits(String repo, String revision) throws IOException {
        Path dir = repoDir(repo).resolve("snapshots");
        List<String> commits = new ArrayList<>();
        if (!Files.isDirectory(dir)) return commits;
        try (Stream<Path> list = Files.list(dir)) {
            list.filter(Files::isDirectory)
                    .sorted(Comparator.comparing(HubCache::modified).reversed())
                    .forEach(p -> commits.add(p.getFileName().toString()));
        }
        Optional<String> current = ref(repo, revision);
        if (current.isPresent() && commits.remove(current.get())) commits.addFirst(current.get());
        return commits;
    }

    /** Every GGUF model file in the cache, by repository and snapshot. */
    public List<CachedFile> list() throws IOException {
        List<CachedFile> out = new ArrayList<>();
        if (!Files.isDirectory(root)) return out;
        List<Path> repos = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root, PREFIX + "*")) {
            ds.forEach(repos::add);
        }
        repos.sort(Comparator.comparing(Path::toString));
        for (Path repoDir : repos) {
            String repo = repoOf(repoDir.getFileName().toString());
            if (repo == null) continue;
            for (String commit : commits(repo, ModelRef.HubModel.REVISION)) {
                String current = ref(repo, ModelRef.HubModel.REVISION).orElse(null);
                for (String file : snapshotFiles(repo, commit)) {
                    if (!file.toLowerCase(Locale.ROOT).endsWith(".gguf")) continue;
                    Path snap = snapshot(repo, commit, file);
                    Path blob = snap.toRealPath();
                    out.add(new CachedFile(repo, commit, file, snap, blob, Files.size(blob),
                            Files.getLastModifiedTime(blob), commit.equals(current)));
                }
            }
        }
        return out;
    }

    /** {@code models--USER--REPO} → {@code USER/REPO}, or null for other folders. */
    static String repoOf(String folder) {
        if (!folder.startsWith(PREFIX)) return null;
        String rest = folder.substring(PREFIX.length());
        int sep = rest.indexOf("--");
        return sep <= 0 ? null : rest.substring(0, sep) + "/" + rest.substring(sep + 2);
    }

    /**
     * Deletes {@code file} from every snapshot of {@code repo}, then the blobs no snapshot uses any more; the repo
     * folder goes too when nothing is left in it. Returns the bytes freed.
     */
    public long remove(String repo, String file) throws IOException {
        Path repoDir = repoDir(repo);
        for (String commit : commits(repo, ModelRef.HubModel.REVISION)) {
            Path snap = snapshot(repo, commit, file);
            Files.deleteIfExists(snap);
            deleteEmptyParents(snap.getParent(), repoDir.resolve("snapshots"));
        }
        Set<Path> used = new HashSet<>();
        Path snapshots = repoDir.resolve("snapshots");
        if (Files.isDirectory(snapshots)) {
            try (Stream<Path> walk = Files.walk(snapshots)) {
                walk.filter(Files::isSymbolicLink).forEach(p -> {
                    try {
                        used.add(p.getParent().resolve(Files.readSymbolicLink(p)).normalize());
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        }
        long freed = 0;
        Path blobs = repoDir.resolve("blobs");
        if (Files.isDirectory(blobs)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(blobs)) {
                for (Path blob : ds) {
                    if (used.contains(blob.normalize())) continue;
                    freed += Files.size(blob);
                    Files.delete(blob);
                }
            }
        }
        boolean empty = !Files.isDirectory(snapshots);
        if (!empty) {
            try (Stream<Path> s = Files.list(snapshots)) {
                empty = s.findAny().isEmpty();
            }
        }
        if (empty) deleteTree(repoDir);
        return freed;
    }

    private static void deleteEmptyParents(Path dir, Path stop) throws IOException {
        for (Path d = dir; d != null && d.startsWith(stop) && !d.equals(stop); d = d.getParent()) {
            try (Stream<Path> s = Files.list(d)) {
                if (s.findAny().isPresent()) return;
            }
            Files.delete(d);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    private static FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }
}
