package dev.qwen4j.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local imitation of the Hugging Face hub, on 127.0.0.1 only, for tests:
 * {@code GET /api/models/U/R/revision/main} (siblings), {@code HEAD|GET /U/R/resolve/REV/FILE} (LFS files answer
 * 302 to {@code /cdn/<sha256>} with {@code X-Repo-Commit}, {@code X-Linked-Etag}, {@code X-Linked-Size}; small files
 * 200 with a git-sha1 ETag) and the CDN with {@code Range}. Faults: a cut mid-file, wrong bytes under the right
 * ETag, 401 without {@code Authorization: Bearer}, a number of 5xx answers first. Every request is recorded.
 */
public final class FakeHub implements AutoCloseable {
    /** One request as the server saw it. */
    public record Request(String method, String path, String range, String authorization) {
    }

    private record Repo(String commit, Map<String, byte[]> files, String token) {
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final Map<String, Repo> repos = new ConcurrentHashMap<>();
    private final Map<String, String> renamed = new ConcurrentHashMap<>();
    private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private volatile int failureStatus = 503;
    private final AtomicInteger cutsLeft = new AtomicInteger();
    private volatile long cutAfter = -1;
    private volatile boolean stallInsteadOfCut;
    private volatile boolean corrupt;
    private volatile boolean ignoreRange;
    private volatile boolean corruptSmallFiles;
    private volatile boolean relativeRedirects;
    private volatile String cdnHost = "127.0.0.1";
    private volatile CountDownLatch cdnGate;

    public FakeHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Adds a public repository at {@code commit} holding {@code files}. */
    public FakeHub repo(String repo, String commit, Map<String, byte[]> files) {
        return repo(repo, commit, files, null);
    }

    /** Adds a repository that answers 401 unless {@code Authorization: Bearer <token>} is sent (when token != null). */
    public FakeHub repo(String repo, String commit, Map<String, byte[]> files, String token) {
        repos.put(repo, new Repo(commit, new LinkedHashMap<>(files), token));
        return this;
    }

    /** {@code oldName} was renamed to {@code newName}: requests for it answer 307 with a relative Location. */
    public FakeHub renamed(String oldName, String newName) {
        renamed.put(oldName, newName);
        return this;
    }

    /** The next {@code n} requests of any kind get {@code status}. */
    public void failNext(int n, int status) {
        failureStatus = status;
        failuresLeft.set(n);
    }

    /** The next {@code times} CDN downloads send the full Content-Length but stop after {@code bytes} bytes. */
    public void cutAfter(long bytes, int times) {
        cutAfter = bytes;
        cutsLeft.set(times);
    }

    /** The next {@code times} CDN downloads stop sending after {@code bytes} bytes but keep the connection open. */
    public void stallAfter(long bytes, int times) {
        stallInsteadOfCut = true;
        cutAfter(bytes, times);
    }

    /** From now on, the CDN sends different bytes than the ETag promises. */
    public void corrupt(boolean on) {
        corrupt = on;
    }

    /** From now on, files served directly (not from LFS) arrive with different bytes than their ETag promises. */
    public void corruptSmallFiles(boolean on) {
        corruptSmallFiles = on;
    }

    /** From now on, the CDN answers every download with 200 and the whole file, as servers without Range support do. */
    public void ignoreRange(boolean on) {
        ignoreRange = on;
    }

    /** LFS redirects go to {@code host} (same server, e.g. "localhost"), so the client sees another host. */
    public void cdnHost(String host) {
        cdnHost = host;
    }

    /** LFS redirects name the CDN path without scheme and host, as some mirrors do. */
    public void relativeRedirects(boolean on) {
        relativeRedirects = on;
    }

    /** The CDN waits until {@code gate} is open before it sends anything. */
    public void holdDownloadsUntil(CountDownLatch gate) {
        cdnGate = gate;
    }

    public List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    public int requestCount() {
        return requests.size();
    }

    public List<Request> requests(String method, String pathPrefix) {
        return requests().stream().filter(r -> r.method().equals(method) && r.path().startsWith(pathPrefix)).toList();
    }

    public static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String gitSha1(byte[] data) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-1");
            md.update(("blob " + data.length + "\0").getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(md.digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Like the hub: large files live in LFS (redirect + sha256 ETag), small ones in git (served directly). */
    private static boolean isLfs(String file, byte[] data) {
        return file.endsWith(".gguf") && data.length >= 4096;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            String path = ex.getRequestURI().getRawPath();
            requests.add(new Request(method, path, ex.getRequestHeaders().getFirst("Range"),
                    ex.getRequestHeaders().getFirst("Authorization")));
            if (failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                send(ex, failureStatus, "injected failure");
                return;
            }
            for (Map.Entry<String, String> r : renamed.entrySet()) {
                String from = "/" + r.getKey() + "/";
                String apiFrom = "/api/models/" + r.getKey() + "/";
                String target = path.startsWith(from) ? "/" + r.getValue() + "/" + path.substring(from.length())
                        : path.startsWith(apiFrom) ? "/api/models/" + r.getValue() + "/" + path.substring(apiFrom.length()) : null;
                if (target != null) {
                    ex.getResponseHeaders().set("Location", target);
                    ex.sendResponseHeaders(307, -1);
                    return;
                }
            }
            if (path.startsWith("/api/models/")) {
                listing(ex, path.substring("/api/models/".length()));
            } else if (path.startsWith("/cdn/")) {
                cdn(ex, path.substring("/cdn/".length()));
            } else {
                resolve(ex, method, path.substring(1));
            }
        }
    }

    private void listing(HttpExchange ex, String rest) throws IOException {
        int rev = rest.indexOf("/revision/");
        String repoId = rev < 0 ? rest : rest.substring(0, rev);
        Repo repo = repos.get(repoId);
        if (repo == null) {
            ex.getResponseHeaders().set("X-Error-Code", "RepoNotFound");
            send(ex, 401, "{\"error\":\"Repository not found\"}");
            return;
        }
        if (!authorized(ex, repo)) return;
        StringBuilder json = new StringBuilder("{\"id\":\"" + repoId + "\",\"sha\":\"" + repo.commit() + "\",\"siblings\":[");
        boolean first = true;
        for (String f : repo.files().keySet()) {
            if (!first) json.append(',');
            first = false;
            json.append("{\"rfilename\":\"").append(f).append("\"}");
        }
        json.append("]}");
        ex.getResponseHeaders().set("Content-Type", "application/json");
        send(ex, 200, json.toString());
    }

    private void resolve(HttpExchange ex, String method, String path) throws IOException {
        // USER/REPO/resolve/REV/FILE
        String[] parts = path.split("/", 5);
        if (parts.length < 5 || !parts[2].equals("resolve")) {
            send(ex, 404, "not found");
            return;
        }
        Repo repo = repos.get(parts[0] + "/" + parts[1]);
        if (repo == null) {
            ex.getResponseHeaders().set("X-Error-Code", "RepoNotFound");
            send(ex, 401, "Repository not found");
            return;
        }
        if (!authorized(ex, repo)) return;
        String rev = parts[3];
        String file = java.net.URLDecoder.decode(parts[4], StandardCharsets.UTF_8);
        if (!rev.equals("main") && !rev.equals(repo.commit())) {
            ex.getResponseHeaders().set("X-Error-Code", "RevisionNotFound");
            send(ex, 404, "Revision not found");
            return;
        }
        ex.getResponseHeaders().set("X-Repo-Commit", repo.commit());
        byte[] data = repo.files().get(file);
        if (data == null) {
            ex.getResponseHeaders().set("X-Error-Code", "EntryNotFound");
            send(ex, 404, "Entry not found");
            return;
        }
        if (isLfs(file, data)) {
            String sha = sha256(data);
            ex.getResponseHeaders().set("X-Linked-Etag", "\"" + sha + "\"");
            ex.getResponseHeaders().set("X-Linked-Size", String.valueOf(data.length));
            ex.getResponseHeaders().set("ETag", "W/\"redirect-" + sha.substring(0, 8) + "\"");
            String cdn = "http://" + cdnHost + ":" + server.getAddress().getPort();
            ex.getResponseHeaders().set("Location", (relativeRedirects ? "" : cdn) + "/cdn/" + sha + "?X-Amz-Signature=fake");
            ex.sendResponseHeaders(302, -1);
            return;
        }
        ex.getResponseHeaders().set("ETag", "\"" + gitSha1(data) + "\"");
        if (method.equals("HEAD")) {
            ex.sendResponseHeaders(200, -1);
        } else {
            byte[] body = data;
            if (corruptSmallFiles) {
                body = data.clone();
                body[0] ^= 1;
            }
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
        }
    }

    private void cdn(HttpExchange ex, String sha) throws IOException {
        byte[] data = null;
        for (Repo r : repos.values()) {
            for (byte[] d : r.files().values()) {
                if (sha256(d).equals(sha)) data = d;
            }
        }
        if (data == null) {
            send(ex, 404, "no such object");
            return;
        }
        CountDownLatch gate = cdnGate;
        if (gate != null) {
            try {
                if (!gate.await(10, TimeUnit.SECONDS)) throw new IOException("gate timeout");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (corrupt) {
            data = data.clone();
            for (int i = 0; i < data.length; i += 97) data[i] ^= 0x5a;
        }
        long start = 0;
        String range = ex.getRequestHeaders().getFirst("Range");
        int status = 200;
        if (range != null && !ignoreRange && range.startsWith("bytes=") && range.endsWith("-")) {
            start = Long.parseLong(range.substring(6, range.length() - 1));
            if (start >= data.length) {
                ex.getResponseHeaders().set("Content-Range", "bytes */" + data.length);
                send(ex, 416, "");
                return;
            }
            status = 206;
            ex.getResponseHeaders().set("Content-Range", "bytes " + start + "-" + (data.length - 1) + "/" + data.length);
        }
        ex.getResponseHeaders().set("Accept-Ranges", "bytes");
        ex.getResponseHeaders().set("ETag", "\"" + sha + "\"");
        int length = (int) (data.length - start);
        ex.sendResponseHeaders(status, length);
        OutputStream out = ex.getResponseBody();
        if (cutAfter >= 0 && cutsLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            int n = (int) Math.min(length, cutAfter);
            out.write(data, (int) start, n);
            out.flush();
            if (stallInsteadOfCut) {
                try {
                    Thread.sleep(10_000); // silent but open, until the client gives up (or the server stops)
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            // closing with bytes still owed makes the server drop the connection: the client sees a cut
            return;
        }
        out.write(data, (int) start, length);
    }

    private boolean authorized(HttpExchange ex, Repo repo) throws IOException {
        if (repo.token() == null) return true;
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (("Bearer " + repo.token()).equals(auth)) return true;
        ex.getResponseHeaders().set("X-Error-Code", "GatedRepo");
        send(ex, 401, "Access to this repository is restricted");
        return false;
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        if (ex.getRequestMethod().equals("HEAD") || b.length == 0) {
            ex.sendResponseHeaders(status, -1);
        } else {
            ex.sendResponseHeaders(status, b.length);
            ex.getResponseBody().write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
