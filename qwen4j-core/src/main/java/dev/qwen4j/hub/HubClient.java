package dev.qwen4j.hub;

import dev.qwen4j.json.Json;
import dev.qwen4j.json.JsonException;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The three hub requests qwen4j makes, with the JDK HTTP client:
 * <ul>
 *   <li>{@code GET /api/models/USER/REPO/revision/main} — the file listing ("siblings") and commit;</li>
 *   <li>{@code HEAD /USER/REPO/resolve/main/FILE} — {@code X-Repo-Commit}, and for LFS files
 *       {@code X-Linked-Etag} (the sha256) and {@code X-Linked-Size}, on a 302 to the CDN;</li>
 *   <li>{@code GET} of the same URL, following redirects, with {@code Range} to resume.</li>
 * </ul>
 * Redirects are followed by hand so the token is never sent to another host (the CDN URL is pre-signed).
 */
final class HubClient {
    private static final String USER_AGENT = "qwen4j/0.1 (java " + Runtime.version().feature() + ")";
    private static final int MAX_REDIRECTS = 10;

    /** What a HEAD on a resolve URL tells: the commit, the ETag (sha256 of an LFS file, git sha1 otherwise), the size. */
    record FileMetadata(String commit, String etag, long size) {
    }

    /** The listing of a repository at one revision. */
    record RepoListing(String commit, List<String> files) {
    }

    private final HubConfig config;
    private final HttpClient http;

    HubClient(HubConfig config, HttpClient http) {
        this.config = config;
        this.http = http;
    }

    static HttpClient defaultHttpClient() {
        return HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(30))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    URI resolveUrl(String repo, String revision, String file) throws HubException {
        return uri("/" + repo + "/resolve/" + encode(revision) + "/" + encodePath(file));
    }

    /** The endpoint followed by {@code path}; a clear error if HF_ENDPOINT is no http(s) URL. */
    private URI uri(String path) throws HubException {
        try {
            URI base = new URI(config.endpoint());
            if (base.getScheme() != null && base.getScheme().matches("(?i)https?") && base.getHost() != null) {
                return new URI(config.endpoint() + path);
            }
        } catch (java.net.URISyntaxException e) {
            // reported below
        }
        throw new HubException("HF_ENDPOINT '" + config.endpoint() + "' is not a URL such as " + HubConfig.DEFAULT_ENDPOINT);
    }

    RepoListing listFiles(String repo, String revision) throws IOException {
        URI uri = uri("/api/models/" + repo + "/revision/" + encode(revision));
        HttpResponse<String> response = send(request(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
        for (int hop = 0; response.statusCode() / 100 == 3 && hop < MAX_REDIRECTS; hop++) {
            // a renamed repository redirects to its new name on the same host
            Optional<String> location = response.headers().firstValue("Location");
            if (location.isEmpty()) break;
            uri = uri.resolve(location.get());
            response = send(request(uri, sameHost(uri)).GET().build(), HttpResponse.BodyHandlers.ofString());
        }
        check(response.statusCode(), response.headers(), repo, null);
        Object json;
        try {
            json = Json.parse(response.body());
        } catch (JsonException e) {
            throw new HubException("unexpected answer from " + uri + ": " + e.getMessage());
        }
        if (!(json instanceof Map<?, ?> model)) throw new HubException("unexpected answer from " + uri + ": not a JSON object");
        List<String> files = new ArrayList<>();
        if (model.get("siblings") instanceof List<?> siblings) {
            for (Object s : siblings) {
                if (s instanceof Map<?, ?> sibling && sibling.get("rfilename") instanceof String name) files.add(name);
            }
        }
        String commit = model.get("sha") instanceof String sha ? sha : null;
        return new RepoListing(commit, files);
    }

    FileMetadata head(String repo, String revision, String file) throws IOException {
        URI uri = resolveUrl(repo, revision, file);
        for (int hop = 0; ; hop++) {
            HttpRequest req = request(uri, sameHost(uri)).method("HEAD", HttpRequest.BodyPublishers.noBody())
                    .header("Accept-Encoding", "identity").build();
            HttpResponse<Void> response = send(req, HttpResponse.BodyHandlers.discarding());
            HttpHeaders h = response.headers();
            int status = response.statusCode();
            Optional<String> location = h.firstValue("Location");
            // A redirect without the file's metadata is the hub's own (a renamed repo): follow it. One that carries
            // X-Linked-Etag / X-Repo-Commit points at the content (a CDN, or a mirror's own path): stop here.
            boolean hasMetadata = h.firstValue("X-Linked-Etag").isPresent() || h.firstValue("X-Repo-Commit").isPresent();
            if (status / 100 == 3 && location.isPresent() && !hasMetadata && hop < MAX_REDIRECTS) {
                uri = uri.resolve(location.get());
                continue;
            }
            if (status / 100 != 3) check(status, h, repo, file);
            String commit = h.firstValue("X-Repo-Commit").orElse(null);
            String etag = h.firstValue("X-Linked-Etag").or(() -> h.firstValue("ETag")).map(HubClient::normalizeEtag).orElse(null);
            long size = h.firstValue("X-Linked-Size").or(() -> h.firstValue("Content-Length"))
                    .map(Long::parseLong).orElse(-1L);
            if (etag == null || etag.isEmpty()) {
                throw new HubException(config.endpointHost() + " sent no ETag for " + repo + "/" + file
                        + ", so the download could not be verified");
            }
            if (!etag.matches("[A-Za-z0-9._-]{1,128}")) {
                throw new HubException(config.endpointHost() + " sent a malformed ETag for " + repo + "/" + file);
            }
            return new FileMetadata(commit, etag, size);
        }
    }

    /**
     * Appends the rest of {@code file} to {@code target}, asking for {@code Range: bytes=<current length>-}, and feeds
     * {@code hash} (if not null) with the file's bytes. Returns normally when the server has sent everything it
     * promised; throws (transient) when the connection breaks.
     */
    void download(String repo, String revision, String file, Path target, long expectedSize, DownloadProgress progress,
                  Checksums.Running hash) throws IOException {
        try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            long offset = out.size();
            if (expectedSize >= 0 && offset >= expectedSize) {
                if (offset == expectedSize) return;
                out.truncate(0);
                offset = 0;
            }
            URI uri = resolveUrl(repo, revision, file);
            HttpResponse<InputStream> response = null;
            for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
                HttpRequest.Builder b = request(uri, sameHost(uri)).GET().header("Accept-Encoding", "identity");
                if (offset > 0) b.header("Range", "bytes=" + offset + "-");
                response = send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
                int status = response.statusCode();
                if (status / 100 != 3) break;
                response.body().close();
                String location = response.headers().firstValue("Location")
                        .orElseThrow(() -> new HubException("redirect without a Location from " + config.endpointHost()));
                uri = uri.resolve(location);
            }
            int status = response.statusCode();
            if (status == 416 && expectedSize >= 0 && offset >= expectedSize) {
                response.body().close();
                return;
            }
            if (status == 200 && offset > 0) {
                out.truncate(0); // the server ignored Range: start over with what it sends
                offset = 0;
            } else if (status != 200 && status != 206) {
                response.body().close();
                check(status, response.headers(), repo, file);
                throw new HubException("unexpected HTTP " + status + " downloading " + file, true, null);
            }
            if (hash != null) hash.catchUp(target, offset);
            progress.start(file, expectedSize, offset);
            out.position(offset);
            long done = offset;
            InputStream in = response.body();
            // The JDK client has no read timeout for a body: a watchdog closes a stream that stopped delivering,
            // which ends the blocked read, and the caller resumes with a new request.
            long stallNanos = config.stallTimeout().toNanos();
            AtomicLong lastData = new AtomicLong(System.nanoTime());
            AtomicBoolean stalled = new AtomicBoolean();
            long period = Math.max(10, Math.min(1000, config.stallTimeout().toMillis() / 4));
            ScheduledFuture<?> watchdog = Watchdog.TIMER.scheduleAtFixedRate(() -> {
                if (System.nanoTime() - lastData.get() > stallNanos && stalled.compareAndSet(false, true)) {
                    try {
                        in.close();
                    } catch (IOException ignored) {
                        // closing is all we wanted
                    }
                }
            }, period, period, TimeUnit.MILLISECONDS);
            try (in) {
                byte[] buf = new byte[1 << 20];
                int n;
                while ((n = in.read(buf)) > 0) {
                    lastData.set(System.nanoTime());
                    ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                    while (bb.hasRemaining()) out.write(bb);
                    if (hash != null) hash.update(buf, 0, n);
                    done += n;
                    progress.update(done);
                }
            } catch (IOException e) {
                if (stalled.get()) throw stalledError(file, done, e);
                throw new HubException("connection lost after " + done + " bytes of " + file + " (" + e.getMessage() + ")", true, e);
            } finally {
                watchdog.cancel(false);
                out.force(false);
            }
            if (stalled.get()) throw stalledError(file, done, null);
            if (expectedSize >= 0 && done < expectedSize) {
                throw new HubException("download of " + file + " ended early at " + done + " of " + expectedSize + " bytes", true, null);
            }
        }
    }

    private HubException stalledError(String file, long done, Throwable cause) {
        return new HubException("no data for " + config.stallTimeout().toSeconds() + " s after " + done + " bytes of "
                + file + "; reconnecting", true, cause);
    }

    /** One daemon timer for all downloads' stall checks. */
    private static final class Watchdog {
        static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "qwen4j-download-watchdog");
            t.setDaemon(true);
            return t;
        });
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws IOException {
        if (config.offline()) {
            throw new IllegalStateException("offline mode: no request to " + request.uri() + " may be made");
        }
        try {
            return http.send(request, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException("interrupted", false, e);
        } catch (HttpConnectTimeoutException e) {
            throw new HubException("timed out connecting to " + hostPort(request.uri()), true, e);
        } catch (ConnectException e) {
            throw new HubException("cannot connect to " + hostPort(request.uri()) + " (no network, or a wrong HF_ENDPOINT?"
                    + " cached models still work offline)", true, e);
        } catch (IOException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new HubException("cannot reach " + hostPort(request.uri()) + ": " + why, true, e);
        }
    }

    private static String hostPort(URI uri) {
        return uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
    }

    private HttpRequest.Builder request(URI uri) {
        return request(uri, true);
    }

    private HttpRequest.Builder request(URI uri, boolean withToken) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("User-Agent", USER_AGENT);
        if (withToken && config.token() != null) b.header("Authorization", "Bearer " + config.token());
        return b;
    }

    private boolean sameHost(URI uri) {
        URI endpoint = URI.create(config.endpoint());
        return uri.getHost() != null && uri.getHost().equalsIgnoreCase(endpoint.getHost()) && uri.getPort() == endpoint.getPort();
    }

    /** Turns a non-2xx status into the message a user can act on. */
    private void check(int status, HttpHeaders headers, String repo, String file) throws HubException {
        if (status / 100 == 2) return;
        String host = config.endpointHost();
        String errorCode = headers.firstValue("X-Error-Code").orElse("");
        String what = file == null ? repo : repo + "/" + file;
        if (status == 401 || status == 403) {
            if (errorCode.equals("RepoNotFound")) {
                throw new HubException("no repository " + repo + " on " + host + (config.token() == null
                        ? " (if it is private, set HF_TOKEN to a Hugging Face access token)"
                        : " that the token in HF_TOKEN can see"));
            }
            if (config.token() == null) {
                throw new HubException(status + " from " + host + " for " + repo + ": the repository is private, gated or"
                        + " does not exist. If you have access, set HF_TOKEN to a Hugging Face access token");
            }
            throw new HubException(status + " from " + host + " for " + repo + ": the token in HF_TOKEN has no access"
                    + " (for a gated model, accept its terms on the model page first)");
        }
        if (status == 404) {
            if (file == null || errorCode.equals("RepoNotFound")) {
                throw new HubException("no repository " + repo + " on " + host);
            }
            if (errorCode.equals("RevisionNotFound")) throw new HubException("no revision main in " + repo + " on " + host);
            throw new HubException("no file " + file + " in " + repo + " on " + host);
        }
        if (status == 429 || status / 100 == 5) {
            throw new HubException("HTTP " + status + " from " + host + " for " + what, true, null);
        }
        throw new HubException("HTTP " + status + " from " + host + " for " + what);
    }

    /** The hub quotes ETags and may mark them weak ({@code W/"…"}); the cache names blobs by the bare value. */
    static String normalizeEtag(String etag) {
        String e = etag.trim();
        if (e.startsWith("W/")) e = e.substring(2);
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) e = e.substring(1, e.length() - 1);
        return e.toLowerCase(Locale.ROOT).matches("[0-9a-f]{40}|[0-9a-f]{64}") ? e.toLowerCase(Locale.ROOT) : e;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String encodePath(String path) {
        StringBuilder sb = new StringBuilder();
        for (String part : path.split("/")) {
            if (!sb.isEmpty()) sb.append('/');
            sb.append(encode(part));
        }
        return sb.toString();
    }
}
