package dev.qwen4j.hub;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Turns a model name into a GGUF file on disk: a path is used as is; a hub model is taken from the cache when it is
 * there (no network at all), and otherwise pulled once — listed, downloaded with resume and retries, checked
 * against its SHA-256 and only then moved into the cache. Offline mode ({@code HF_HUB_OFFLINE=1}, {@code --offline})
 * never opens a connection.
 */
public final class ModelResolver {
    private static final ConcurrentHashMap<String, ReentrantLock> IN_PROCESS_LOCKS = new ConcurrentHashMap<>();
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    /** The outcome of a pull: where the file is and whether it had to be downloaded. */
    public record Pulled(Path path, String repo, String file, String commit, long size, boolean downloaded) {
    }

    private final HubConfig config;
    private final HubCache cache;
    private final HubClient client;
    private final DownloadProgress progress;

    public ModelResolver(HubConfig config, HttpClient http, DownloadProgress progress) {
        this.config = config;
        this.cache = new HubCache(config.hubCache());
        this.client = new HubClient(config, http);
        this.progress = progress;
    }

    public ModelResolver(HubConfig config, DownloadProgress progress) {
        this(config, HubClient.defaultHttpClient(), progress);
    }

    /** The resolver for this process's environment, with no progress output. */
    public static ModelResolver fromSystem() {
        return new ModelResolver(HubConfig.fromSystem(), DownloadProgress.none());
    }

    public HubConfig config() {
        return config;
    }

    public HubCache cache() {
        return cache;
    }

    /** {@code resolve(ModelRef.parse(spec))}. */
    public Path resolve(String spec) throws IOException {
        return resolve(ModelRef.parse(spec));
    }

    /** The local file for {@code ref}, pulling it if it is not cached yet. */
    public Path resolve(ModelRef ref) throws IOException {
        return switch (ref) {
            case ModelRef.LocalFile f -> {
                if (!Files.isRegularFile(f.path())) {
                    throw new HubException("no such file: " + f.path() + " (and not a model name: try "
                            + Catalogue.DEFAULT_MODEL + ", qwen3:4b-q8_0, hf.co/USER/REPO[:QUANT] or a .gguf path)");
                }
                yield f.path();
            }
            case ModelRef.HubModel m -> {
                Optional<HubCache.CachedFile> cached = findCached(m);
                if (cached.isPresent()) yield cached.get().path();
                yield pull(m).path();
            }
        };
    }

    /** The cached file {@code m} names, found without any network access. */
    public Optional<HubCache.CachedFile> findCached(ModelRef.HubModel m) throws IOException {
        for (String commit : cache.commits(m.repo(), ModelRef.HubModel.REVISION)) {
            List<String> files = cache.snapshotFiles(m.repo(), commit);
            Optional<String> file = pick(m, files);
            if (file.isPresent()) {
                Path snap = cache.snapshot(m.repo(), commit, file.get());
                Path blob = snap.toRealPath();
                boolean current = cache.ref(m.repo(), ModelRef.HubModel.REVISION).map(commit::equals).orElse(false);
                return Optional.of(new HubCache.CachedFile(m.repo(), commit, file.get(), snap, blob, Files.size(blob),
                        Files.getLastModifiedTime(blob), current));
            }
        }
        return Optional.empty();
    }

    /**
     * Brings {@code m} up to date with the hub: lists the repo, picks the file, and downloads it unless the cache
     * already holds a blob with the same ETag. In offline mode, returns the cached file or fails.
     */
    public Pulled pull(ModelRef.HubModel m) throws IOException {
        if (config.offline()) {
            HubCache.CachedFile c = findCached(m).orElseThrow(() -> notCachedOffline(m));
            return new Pulled(c.path(), c.repo(), c.file(), c.commit(), c.size(), false);
        }
        String revision = ModelRef.HubModel.REVISION;
        HubClient.RepoListing listing = withRetries(() -> client.listFiles(m.repo(), revision));
        String file = choose(m, listing.files());
        HubClient.FileMetadata meta;
        try {
            meta = withRetries(() -> client.head(m.repo(), revision, file));
        } catch (HubException e) {
            if (e.getMessage().startsWith("no file ")) throw new HubException(e.getMessage() + availableSuffix(listing.files()));
            throw e;
        }
        String commit = meta.commit() != null ? meta.commit() : listing.commit();
        if (commit == null) throw new HubException(config.endpointHost() + " did not say which commit " + m.repo() + " is at");
        String etag = meta.etag();

        Path blob = cache.blob(m.repo(), etag);
        boolean downloaded = false;
        if (!isComplete(blob, meta.size())) {
            downloaded = withFileLock(m.repo(), etag, () -> {
                if (isComplete(blob, meta.size())) return false; // someone else finished it while we waited
                fetch(m.repo(), revision, file, etag, meta.size());
                return true;
            });
        }
        Path snap = cache.link(m.repo(), commit, file, etag);
        cache.writeRef(m.repo(), revision, commit);
        return new Pulled(snap, m.repo(), file, commit, Files.size(blob), downloaded);
    }

    /**
     * Removes the cached file {@code m} names and returns it, or empty if it was not cached. A name without a quant
     * is refused when several quants of the model are cached.
     */
    public Optional<HubCache.CachedFile> remove(ModelRef.HubModel m) throws IOException {
        if (m.quant() == null && m.file() == null) {
            // "rm qwen3:4b" must not guess which of several cached quants to delete
            Set<String> quants = new TreeSet<>();
            for (String commit : cache.commits(m.repo(), ModelRef.HubModel.REVISION)) {
                quants.addAll(Quants.available(cache.snapshotFiles(m.repo(), commit)));
            }
            if (quants.size() > 1) {
                throw new HubException("several quants of " + m.displayName() + " are cached (" + String.join(", ", quants)
                        + "); name the one to delete, e.g. " + m.displayName() + "-" + quants.iterator().next().toLowerCase(Locale.ROOT));
            }
        }
        Optional<HubCache.CachedFile> cached = findCached(m);
        if (cached.isPresent()) cache.remove(m.repo(), cached.get().file());
        return cached;
    }

    private void fetch(String repo, String revision, String file, String etag, long size) throws IOException {
        Path part = cache.incomplete(repo, etag);
        Files.createDirectories(part.getParent());
        requireDiskSpace(part, size);
        boolean sha256 = etag.length() == 64 && Checksums.verifiable(etag);
        Checksums.Running hash = sha256 ? new Checksums.Running() : null;
        int failures = 0;
        while (true) {
            long before = Files.exists(part) ? Files.size(part) : 0;
            try {
                client.download(repo, revision, file, part, size, progress, hash);
                progress.finish();
                break;
            } catch (HubException e) {
                progress.finish();
                long after = Files.exists(part) ? Files.size(part) : 0;
                if (after > before) failures = 0; // progress was made: a flaky link may cut many times
                if (!e.isTransient() || ++failures >= config.maxAttempts()) throw e;
                progress.note(e.getMessage() + "; retrying (" + (failures + 1) + " of " + config.maxAttempts() + ")");
                backOff(failures);
            }
        }
        if (size >= 0 && Files.size(part) != size) {
            long got = Files.size(part);
            Files.deleteIfExists(part);
            throw new HubException("downloaded " + file + " has " + got + " bytes, the hub said " + size
                    + "; the download was discarded");
        }
        if (Checksums.verifiable(etag)) {
            String actual;
            if (hash != null) {
                hash.catchUp(part, Files.size(part));
                actual = hash.finish();
            } else {
                actual = Checksums.hashLike(etag, part);
            }
            if (!actual.equals(etag)) {
                Files.deleteIfExists(part);
                String algo = etag.length() == 64 ? "sha256" : "git sha1";
                throw new HubException("downloaded " + file + " from " + repo + " is corrupt: " + algo + " " + actual
                        + " does not match the hub's " + etag + "; the download was discarded, nothing was cached");
            }
        }
        Files.move(part, cache.blob(repo, etag), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Fails before downloading when the rest of the file cannot fit on the disk, instead of at 97%. */
    private static void requireDiskSpace(Path part, long size) throws IOException {
        if (size < 0) return;
        long have = Files.exists(part) ? Files.size(part) : 0;
        long usable = Files.getFileStore(part.getParent()).getUsableSpace();
        if (size - have > usable) {
            throw new HubException("not enough disk space for " + part.getFileName() + ": it needs "
                    + DownloadProgress.Console.bytes(size - have) + " more and " + part.getParent() + " has "
                    + DownloadProgress.Console.bytes(usable) + " free (set HF_HOME or HF_HUB_CACHE to use another disk)");
        }
    }

    private static boolean isComplete(Path blob, long size) throws IOException {
        return Files.isRegularFile(blob) && (size < 0 || Files.size(blob) == size);
    }

    private interface LockedWork<T> {
        T run() throws IOException;
    }

    /**
     * Runs {@code work} holding the blob's lock: an in-process lock (file locks are per process in the JVM) and a
     * file lock under {@code .locks} against other processes, as huggingface_hub does.
     */
    private <T> T withFileLock(String repo, String etag, LockedWork<T> work) throws IOException {
        Path lockFile = cache.lockFile(repo, etag);
        Files.createDirectories(lockFile.getParent());
        ReentrantLock local = IN_PROCESS_LOCKS.computeIfAbsent(lockFile.toAbsolutePath().toString(), k -> new ReentrantLock());
        local.lock();
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = ch.lock()) {
            return work.run();
        } finally {
            local.unlock();
        }
    }

    private interface HubCall<T> {
        T call() throws IOException;
    }

    private <T> T withRetries(HubCall<T> call) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return call.call();
            } catch (HubException e) {
                if (!e.isTransient() || attempt >= config.maxAttempts()) throw e;
                progress.note(e.getMessage() + "; retrying (" + (attempt + 1) + " of " + config.maxAttempts() + ")");
                backOff(attempt);
            }
        }
    }

    private void backOff(int failures) throws HubException {
        long millis = config.retryBaseDelay().toMillis() << Math.min(failures - 1, 16);
        try {
            Thread.sleep(Math.min(millis, MAX_BACKOFF.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException("interrupted", false, e);
        }
    }

    /** The file of {@code files} that {@code m} asks for, or a message naming what is there. */
    private String choose(ModelRef.HubModel m, List<String> files) throws HubException {
        Optional<String> file = pick(m, files);
        if (file.isPresent()) return file.get();
        if (m.file() != null) throw new HubException("no file " + m.file() + " in " + m.repo() + availableSuffix(files));
        List<String> quants = Quants.available(files);
        if (quants.isEmpty()) {
            throw new HubException(m.repo() + " has no single-file GGUF model (qwen4j needs a .gguf that is not split"
                    + " into parts)");
        }
        throw new HubException("no " + m.quant() + " quant of " + m.displayName() + " in " + m.repo()
                + "; available quants: " + String.join(", ", quants));
    }

    private static Optional<String> pick(ModelRef.HubModel m, List<String> files) {
        if (m.file() != null) return files.contains(m.file()) ? Optional.of(m.file()) : Optional.empty();
        if (m.quant() != null) return Quants.fileFor(files, m.quant());
        return Quants.choose(Quants.available(files), m.defaultQuant()).flatMap(q -> Quants.fileFor(files, q));
    }

    private static String availableSuffix(List<String> files) {
        List<String> quants = Quants.available(files);
        return quants.isEmpty() ? "" : "; available quants: " + String.join(", ", quants);
    }

    private HubException notCachedOffline(ModelRef.HubModel m) {
        String have = "";
        try {
            for (String commit : cache.commits(m.repo(), ModelRef.HubModel.REVISION)) {
                List<String> quants = Quants.available(cache.snapshotFiles(m.repo(), commit));
                if (!quants.isEmpty()) {
                    have = "; cached quants: " + String.join(", ", quants);
                    break;
                }
            }
        } catch (IOException ignored) {
            // the message is still right without the list
        }
        return new HubException(m.displayName() + " is not in the cache (" + cache.root() + ") and offline mode is on"
                + " (HF_HUB_OFFLINE=1 or --offline)" + have + "; run `qwen4j pull " + m.displayName() + "` online first");
    }
}
