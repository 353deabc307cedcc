package dev.qwen4j.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelResolverTest {
    static final String REPO = "unsloth/Qwen3.5-0.8B-GGUF";
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    static final String Q4 = "Qwen3.5-0.8B-Q4_K_M.gguf";
    static final String Q8 = "Qwen3.5-0.8B-Q8_0.gguf";

    @TempDir
    Path home;
    FakeHub hub;
    byte[] q4;
    byte[] q8;

    @BeforeEach
    void start() throws IOException {
        hub = new FakeHub();
        q4 = randomBytes(300_000, 1);
        q8 = randomBytes(500_000, 2);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(".gitattributes", "*.gguf filter=lfs\n".getBytes(StandardCharsets.UTF_8));
        files.put("README.md", "# model card\n".getBytes(StandardCharsets.UTF_8));
        files.put(Q4, q4);
        files.put(Q8, q8);
        files.put("mmproj-F16.gguf", randomBytes(1000, 3));
        hub.repo(REPO, COMMIT, files);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("HF_HOME", home.toString());
        env.put("HF_ENDPOINT", hub.endpoint());
        return env;
    }

    ModelResolver resolver(Map<String, String> env) {
        return new ModelResolver(HubConfig.fromEnvironment(env).withRetries(3, Duration.ofMillis(1)), DownloadProgress.none());
    }

    ModelResolver resolver() {
        return resolver(env());
    }

    Path repoDir() {
        return home.resolve("hub").resolve("models--unsloth--Qwen3.5-0.8B-GGUF");
    }

    List<Path> filesUnder(Path dir) throws IOException {
        if (!Files.exists(dir)) return List.of();
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !Files.isDirectory(p)).toList();
        }
    }

    static long rangeStart(FakeHub.Request r) {
        assertTrue(r.range() != null && r.range().matches("bytes=\\d+-"), "Range: " + r.range());
        return Long.parseLong(r.range().substring(6, r.range().length() - 1));
    }

    @Test
    void freshPullStoresTheFileInTheHuggingFaceCacheLayout() throws IOException {
        Path path = resolver().resolve("qwen3.5:0.8b");

        String sha = FakeHub.sha256(q4);
        assertEquals(repoDir().resolve("snapshots").resolve(COMMIT).resolve(Q4), path);
        assertTrue(Files.isSymbolicLink(path));
        assertEquals(Path.of("../../blobs/" + sha), Files.readSymbolicLink(path));
        assertArrayEquals(q4, Files.readAllBytes(repoDir().resolve("blobs").resolve(sha)));
        assertEquals(COMMIT, Files.readString(repoDir().resolve("refs").resolve("main")));
        assertFalse(Files.exists(repoDir().resolve("blobs").resolve(sha + ".incomplete")));
        assertEquals(1, hub.requests("GET", "/cdn/").size());
    }

    @Test
    void aCachedModelIsUsedWithoutAnyRequest() throws IOException {
        Path first = resolver().resolve("qwen3.5:0.8b");
        int before = hub.requestCount();

        Path second = resolver().resolve("qwen3.5:0.8b");

        assertEquals(first, second);
        assertEquals(before, hub.requestCount());
    }

    @Test
    void aRelativeRedirectToTheContentKeepsItsMetadata() throws IOException {
        hub.relativeRedirects(true);
        Path path = resolver().resolve("qwen3.5:0.8b");
        assertArrayEquals(q4, Files.readAllBytes(path));
        assertEquals(1, hub.requests("HEAD", "/").size());
    }

    @Test
    void aRenamedRepoIsFollowedThroughItsRelativeRedirects() throws IOException {
        hub.renamed("someone/old-name", REPO);
        Path path = resolver().resolve("hf.co/someone/old-name:q8_0");
        assertArrayEquals(q8, Files.readAllBytes(path));
    }

    @Test
    void aSmallFileKeptInGitIsCheckedAgainstItsGitBlobId() throws IOException {
        byte[] tiny = randomBytes(1000, 7);
        hub.repo("someone/tiny-GGUF", COMMIT, Map.of("tiny-Q8_0.gguf", tiny));

        Path path = resolver().resolve("hf.co/someone/tiny-GGUF");

        assertArrayEquals(tiny, Files.readAllBytes(path));
        assertEquals(FakeHub.gitSha1(tiny), path.toRealPath().getFileName().toString());
        assertEquals(0, hub.requests("GET", "/cdn/").size());
    }

    @Test
    void aSmallFileWithWrongBytesIsRejectedToo() {
        hub.repo("someone/tiny-GGUF", COMMIT, Map.of("tiny-Q8_0.gguf", randomBytes(1000, 7)));
        hub.corruptSmallFiles(true);

        HubException e = assertThrows(HubException.class, () -> resolver().resolve("hf.co/someone/tiny-GGUF"));

        assertTrue(e.getMessage().contains("git sha1"), e.getMessage());
    }

    @Test
    void aQuantSuffixPicksThatFile() throws IOException {
        Path path = resolver().resolve("qwen3.5:0.8b-q8_0");
        assertEquals(Q8, path.getFileName().toString());
        assertArrayEquals(q8, Files.readAllBytes(path));
    }

    @Test
    void aDownloadCutMidFileIsResumedWithRangeAndVerified() throws IOException {
        hub.cutAfter(100_000, 1);

        ModelResolver.Pulled pulled = resolver().pull((ModelRef.HubModel) ModelRef.parse("qwen3.5:0.8b"));

        List<FakeHub.Request> downloads = hub.requests("GET", "/cdn/");
        assertEquals(2, downloads.size());
        assertEquals(null, downloads.get(0).range());
        long resumedAt = rangeStart(downloads.get(1));
        // an abrupt close may lose bytes in flight: the client resumes from what reached its disk
        assertTrue(resumedAt > 0 && resumedAt <= 100_000, "resumed at " + resumedAt);
        assertTrue(pulled.downloaded());
        assertEquals(FakeHub.sha256(q4), FakeHub.sha256(Files.readAllBytes(pulled.path())));
    }

    @Test
    void aStalledDownloadIsDroppedAndResumed() throws IOException {
        hub.stallAfter(100_000, 1);
        HubConfig config = HubConfig.fromEnvironment(env()).withRetries(3, Duration.ofMillis(1))
                .withStallTimeout(Duration.ofMillis(300));

        Path path = new ModelResolver(config, DownloadProgress.none()).resolve("qwen3.5:0.8b");

        List<FakeHub.Request> downloads = hub.requests("GET", "/cdn/");
        assertEquals(2, downloads.size());
        assertTrue(rangeStart(downloads.get(1)) > 0);
        assertArrayEquals(q4, Files.readAllBytes(path));
    }

    @Test
    void aPartialFileLeftByAnEarlierRunIsResumed() throws IOException {
        String sha = FakeHub.sha256(q4);
        Path part = repoDir().resolve("blobs").resolve(sha + ".incomplete");
        Files.createDirectories(part.getParent());
        Files.write(part, java.util.Arrays.copyOf(q4, 123_456));

        Path path = resolver().resolve("qwen3.5:0.8b");

        assertEquals("bytes=123456-", hub.requests("GET", "/cdn/").getFirst().range());
        assertArrayEquals(q4, Files.readAllBytes(path));
    }

    @Test
    void aServerThatIgnoresRangeRestartsTheFileFromZero() throws IOException {
        hub.cutAfter(100_000, 1);
        hub.ignoreRange(true);

        Path path = resolver().resolve("qwen3.5:0.8b");

        assertTrue(rangeStart(hub.requests("GET", "/cdn/").get(1)) > 0);
        assertArrayEquals(q4, Files.readAllBytes(path));
    }

    @Test
    void aCorruptPartialFileIsDiscardedAndTheNextPullSucceeds() throws IOException {
        String sha = FakeHub.sha256(q4);
        Path part = repoDir().resolve("blobs").resolve(sha + ".incomplete");
        Files.createDirectories(part.getParent());
        Files.write(part, randomBytes(50_000, 99));

        HubException e = assertThrows(HubException.class, () -> resolver().resolve("qwen3.5:0.8b"));
        assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
        assertFalse(Files.exists(part));

        assertArrayEquals(q4, Files.readAllBytes(resolver().resolve("qwen3.5:0.8b")));
    }

    @Test
    void wrongContentIsRejectedAndNothingIsLeftInTheCache() throws IOException {
        hub.corrupt(true);

        HubException e = assertThrows(HubException.class, () -> resolver().resolve("qwen3.5:0.8b"));

        assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
        assertTrue(e.getMessage().contains(FakeHub.sha256(q4)), e.getMessage());
        assertEquals(List.of(), filesUnder(repoDir().resolve("blobs")));
        assertEquals(List.of(), filesUnder(repoDir().resolve("snapshots")));
    }

    @Test
    void aGatedRepoWithoutATokenSaysToSetHfToken() {
        hub.repo("Qwen/Qwen3-0.6B-GGUF", COMMIT, Map.of("Qwen3-0.6B-Q8_0.gguf", q8), "hf_secret");

        HubException e = assertThrows(HubException.class, () -> resolver().resolve("qwen3:0.6b"));

        assertTrue(e.getMessage().startsWith("401 from 127.0.0.1"), e.getMessage());
        assertTrue(e.getMessage().contains("HF_TOKEN"), e.getMessage());
        assertEquals(0, hub.requests("GET", "/cdn/").size());
    }

    @Test
    void aGatedRepoDownloadsWithTheRightToken() throws IOException {
        hub.repo("Qwen/Qwen3-0.6B-GGUF", COMMIT, Map.of("Qwen3-0.6B-Q8_0.gguf", q8), "hf_secret");
        Map<String, String> env = env();
        env.put("HF_TOKEN", "hf_secret");

        Path path = resolver(env).resolve("qwen3:0.6b");

        assertArrayEquals(q8, Files.readAllBytes(path));
        assertTrue(hub.requests().stream().filter(r -> !r.path().startsWith("/cdn/"))
                .allMatch(r -> "Bearer hf_secret".equals(r.authorization())));
    }

    @Test
    void theTokenIsNotSentToTheCdnOnAnotherHost() throws IOException {
        hub.repo("Qwen/Qwen3-0.6B-GGUF", COMMIT, Map.of("Qwen3-0.6B-Q8_0.gguf", q8), "hf_secret");
        hub.cdnHost("localhost");
        Map<String, String> env = env();
        env.put("HF_TOKEN", "hf_secret");

        Path path = resolver(env).resolve("qwen3:0.6b");

        assertArrayEquals(q8, Files.readAllBytes(path));
        List<FakeHub.Request> cdn = hub.requests("GET", "/cdn/");
        assertEquals(1, cdn.size());
        assertEquals(null, cdn.getFirst().authorization());
    }

    @Test
    void aWrongTokenIsReportedAsNoAccess() {
        hub.repo("Qwen/Qwen3-0.6B-GGUF", COMMIT, Map.of("Qwen3-0.6B-Q8_0.gguf", q8), "hf_secret");
        Map<String, String> env = env();
        env.put("HF_TOKEN", "hf_wrong");

        HubException e = assertThrows(HubException.class, () -> resolver(env).resolve("qwen3:0.6b"));

        assertTrue(e.getMessage().contains("token in HF_TOKEN has no access"), e.getMessage());
    }

    @Test
    void anUnknownQuantListsTheAvailableOnes() {
        HubException e = assertThrows(HubException.class, () -> resolver().resolve("qwen3.5:0.8b-q5_k_s"));

        assertTrue(e.getMessage().contains("no Q5_K_S quant"), e.getMessage());
        assertTrue(e.getMessage().endsWith("available quants: Q4_K_M, Q8_0"), e.getMessage());
        assertEquals(0, hub.requests("GET", "/cdn/").size());
    }

    @Test
    void aMissingFileListsTheAvailableQuants() {
        HubException e = assertThrows(HubException.class,
                () -> resolver().resolve("hf.co/" + REPO + "/Qwen3.5-0.8B-Q2_K.gguf"));

        assertTrue(e.getMessage().startsWith("no file Qwen3.5-0.8B-Q2_K.gguf in " + REPO), e.getMessage());
        assertTrue(e.getMessage().contains("available quants: Q4_K_M, Q8_0"), e.getMessage());
    }

    @Test
    void anUnknownRepoIsNamed() {
        HubException e = assertThrows(HubException.class, () -> resolver().resolve("hf.co/nobody/nothing"));
        assertTrue(e.getMessage().startsWith("no repository nobody/nothing on 127.0.0.1"), e.getMessage());
        assertTrue(e.getMessage().contains("HF_TOKEN"), e.getMessage());
    }

    @Test
    void hfHubOfflineNeverConnectsAndNamesTheMissingModel() {
        Map<String, String> env = env();
        env.put("HF_HUB_OFFLINE", "1");

        HubException e = assertThrows(HubException.class, () -> resolver(env).resolve("qwen3.5:0.8b"));

        assertTrue(e.getMessage().contains("offline"), e.getMessage());
        assertEquals(0, hub.requestCount());
    }

    @Test
    void offlineModeFindsCachedFiles() throws IOException {
        Path pulled = resolver().resolve("qwen3.5:0.8b-q8_0");
        int before = hub.requestCount();
        Map<String, String> env = env();
        env.put("HF_HUB_OFFLINE", "1");

        Path offline = resolver(env).resolve("qwen3.5:0.8b-q8_0");
        ModelResolver.Pulled viaPull = new ModelResolver(HubConfig.fromEnvironment(env()).withOffline(true),
                DownloadProgress.none()).pull((ModelRef.HubModel) ModelRef.parse("qwen3.5:0.8b-q8_0"));

        assertEquals(pulled, offline);
        assertEquals(pulled, viaPull.path());
        assertFalse(viaPull.downloaded());
        assertEquals(before, hub.requestCount());
    }

    @Test
    void offlineModeNamesTheQuantsThatAreCached() throws IOException {
        resolver().resolve("qwen3.5:0.8b-q8_0");
        Map<String, String> env = env();
        env.put("HF_HUB_OFFLINE", "1");

        HubException e = assertThrows(HubException.class, () -> resolver(env).resolve("qwen3.5:0.8b-q4_k_m"));

        assertTrue(e.getMessage().contains("cached quants: Q8_0"), e.getMessage());
    }

    @Test
    void aCacheWrittenByAnotherToolIsReusedWithoutDownload() throws IOException {
        String sha = FakeHub.sha256(q4);
        Path blob = repoDir().resolve("blobs").resolve(sha);
        Files.createDirectories(blob.getParent());
        Files.write(blob, q4);
        Path snap = repoDir().resolve("snapshots").resolve(COMMIT).resolve(Q4);
        Files.createDirectories(snap.getParent());
        Files.createSymbolicLink(snap, Path.of("../../blobs/" + sha));
        Files.createDirectories(repoDir().resolve("refs"));
        Files.writeString(repoDir().resolve("refs").resolve("main"), COMMIT);

        Path resolved = resolver().resolve("qwen3.5:0.8b");
        assertEquals(snap, resolved);
        assertEquals(0, hub.requestCount());

        ModelResolver.Pulled pulled = resolver().pull((ModelRef.HubModel) ModelRef.parse("qwen3.5:0.8b"));
        assertFalse(pulled.downloaded());
        assertEquals(0, hub.requests("GET", "/cdn/").size());
    }

    @Test
    void aBlobAlreadyCachedUnderAnotherCommitIsLinkedNotDownloaded() throws IOException {
        String sha = FakeHub.sha256(q4);
        Path blob = repoDir().resolve("blobs").resolve(sha);
        Files.createDirectories(blob.getParent());
        Files.write(blob, q4);

        ModelResolver.Pulled pulled = resolver().pull((ModelRef.HubModel) ModelRef.parse("qwen3.5:0.8b"));

        assertFalse(pulled.downloaded());
        assertEquals(blob.toRealPath(), pulled.path().toRealPath());
        assertEquals(0, hub.requests("GET", "/cdn/").size());
    }

    @Test
    void twoConcurrentPullsOfOneFileDownloadItOnce() throws Exception {
        CountDownLatch bothAsked = new CountDownLatch(1);
        hub.holdDownloadsUntil(bothAsked);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Path> a = pool.submit(() -> resolver().resolve("qwen3.5:0.8b"));
            Future<Path> b = pool.submit(() -> resolver().resolve("qwen3.5:0.8b"));
            // release the download once both pulls have looked the file up, so the second one waits on the lock
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (hub.requests("HEAD", "/" + REPO).size() < 2 && System.nanoTime() < deadline) Thread.sleep(5);
            bothAsked.countDown();

            assertEquals(a.get(), b.get());
            assertArrayEquals(q4, Files.readAllBytes(a.get()));
            assertEquals(2, hub.requests("HEAD", "/" + REPO).size());
            assertEquals(1, hub.requests("GET", "/cdn/").size());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void twoProcessesPullingOneFileShareOneDownloadThroughTheFileLock() throws Exception {
        CountDownLatch bothAsked = new CountDownLatch(1);
        hub.holdDownloadsUntil(bothAsked);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> processes = new java.util.ArrayList<>();
        for (int i = 0; i < 2; i++) {
            processes.add(new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    PullProcess.class.getName(), hub.endpoint(), home.toString(), "qwen3.5:0.8b")
                    .redirectErrorStream(true).start());
        }
        try {
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (hub.requests("HEAD", "/" + REPO).size() < 2 && System.nanoTime() < deadline) Thread.sleep(10);
            bothAsked.countDown();
            List<String> outputs = new java.util.ArrayList<>();
            for (Process p : processes) {
                String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                assertEquals(0, p.waitFor(), output);
                outputs.add(output.substring(0, output.indexOf(' ')));
            }
            assertEquals(List.of("downloaded", "reused"), outputs.stream().sorted().toList());
            assertEquals(1, hub.requests("GET", "/cdn/").size());
            assertArrayEquals(q4, Files.readAllBytes(repoDir().resolve("snapshots").resolve(COMMIT).resolve(Q4)));
        } finally {
            processes.forEach(Process::destroyForcibly);
        }
    }

    @Test
    void serverErrorsAreRetriedWithBackOff() throws IOException {
        hub.failNext(2, 503);

        Path path = resolver().resolve("qwen3.5:0.8b");

        assertArrayEquals(q4, Files.readAllBytes(path));
        assertEquals(3, hub.requests("GET", "/api/models/").size());
    }

    @Test
    void persistentServerErrorsGiveUpWithTheStatus() {
        hub.failNext(100, 502);

        HubException e = assertThrows(HubException.class, () -> resolver().resolve("qwen3.5:0.8b"));

        assertTrue(e.getMessage().contains("HTTP 502"), e.getMessage());
        assertEquals(3, hub.requestCount());
    }

    @Test
    void aPlainPathIsUsedAsIs() throws IOException {
        Path file = home.resolve("my model.gguf");
        Files.write(file, q4);
        assertEquals(file, resolver().resolve(file.toString()));
        assertEquals(0, hub.requestCount());
    }

    @Test
    void aMissingPathSaysWhatNamesWork() {
        HubException e = assertThrows(HubException.class,
                () -> resolver().resolve(home.resolve("nope.gguf").toString()));
        assertTrue(e.getMessage().contains("qwen3.5:0.8b"), e.getMessage());
    }

    @Test
    void removeDeletesTheSnapshotAndItsBlob() throws IOException {
        resolver().resolve("qwen3.5:0.8b");
        Path q8path = resolver().resolve("qwen3.5:0.8b:q8_0");

        ModelResolver r = resolver();
        HubException ambiguous = assertThrows(HubException.class, () -> r.remove((ModelRef.HubModel) ModelRef.parse("qwen3.5:0.8b")));
        assertTrue(ambiguous.getMessage().contains("several quants of qwen3.5:0.8b are cached (Q4_K_M, Q8_0)"), ambiguous.getMessage());
        assertTrue(Files.exists(repoDir().resolve("blobs").resolve(FakeHub.sha256(q4))));

        assertTrue(r.remove((ModelRef.HubModel) ModelRef.parse("qwen3.5:0.8b-q4_k_m")).isPresent());

        assertFalse(Files.exists(repoDir().resolve("blobs").resolve(FakeHub.sha256(q4))));
        assertTrue(Files.exists(q8path));
        assertTrue(r.remove((ModelRef.HubModel) ModelRef.parse("qwen3.5:0.8b-q8_0")).isPresent());
        assertFalse(Files.exists(repoDir()));
    }
}
