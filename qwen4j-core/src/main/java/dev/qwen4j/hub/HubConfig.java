package dev.qwen4j.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Where models come from and where they are kept, read from the same environment variables huggingface_hub uses so
 * both tools share one cache: {@code HF_ENDPOINT} (a mirror), {@code HF_TOKEN} (or the {@code $HF_HOME/token} file
 * written by {@code huggingface-cli login}), {@code HF_HOME} / {@code HF_HUB_CACHE}, {@code HF_HUB_OFFLINE} and
 * {@code HF_HUB_DOWNLOAD_TIMEOUT} (seconds without data before a download is dropped and resumed; default 60).
 * Tests build one from a map instead of touching the real environment.
 *
 * @param endpoint       base URL of the hub, no trailing slash
 * @param token          bearer token, or null
 * @param hubCache       the {@code hub} folder holding {@code models--USER--REPO} folders
 * @param offline        never open a network connection
 * @param maxAttempts    attempts per HTTP request before a transient failure is reported
 * @param retryBaseDelay first back-off delay; doubled on each further attempt
 * @param stallTimeout   a download that receives nothing for this long is dropped and resumed
 */
public record HubConfig(String endpoint, String token, Path hubCache, boolean offline, int maxAttempts,
                        Duration retryBaseDelay, Duration stallTimeout) {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    private static final Set<String> TRUE_WORDS = Set.of("1", "on", "yes", "true");

    public HubConfig {
        while (endpoint.endsWith("/")) endpoint = endpoint.substring(0, endpoint.length() - 1);
        if (token != null && token.isBlank()) token = null;
        if (maxAttempts < 1) throw new IllegalArgumentException("maxAttempts must be at least 1");
    }

    /** The configuration of this process: {@code System.getenv()} and the user's home folder. */
    public static HubConfig fromSystem() {
        return fromEnvironment(System.getenv());
    }

    /** Reads the HF_* variables from {@code env}; nothing else in the environment is consulted. */
    public static HubConfig fromEnvironment(Map<String, String> env) {
        Path home = Path.of(env.getOrDefault("HOME", System.getProperty("user.home")));
        Path hfHome;
        if (has(env, "HF_HOME")) {
            hfHome = Path.of(env.get("HF_HOME"));
        } else if (has(env, "XDG_CACHE_HOME")) {
            hfHome = Path.of(env.get("XDG_CACHE_HOME"), "huggingface");
        } else {
            hfHome = home.resolve(".cache").resolve("huggingface");
        }
        Path hubCache;
        if (has(env, "HF_HUB_CACHE")) {
            hubCache = Path.of(env.get("HF_HUB_CACHE"));
        } else if (has(env, "HUGGINGFACE_HUB_CACHE")) {
            hubCache = Path.of(env.get("HUGGINGFACE_HUB_CACHE"));
        } else {
            hubCache = hfHome.resolve("hub");
        }
        String token = env.get("HF_TOKEN");
        if (!has(env, "HF_TOKEN")) token = env.get("HUGGING_FACE_HUB_TOKEN");
        if (token == null || token.isBlank()) {
            Path tokenFile = has(env, "HF_TOKEN_PATH") ? Path.of(env.get("HF_TOKEN_PATH")) : hfHome.resolve("token");
            token = readToken(tokenFile);
        }
        String endpoint = has(env, "HF_ENDPOINT") ? env.get("HF_ENDPOINT").trim() : DEFAULT_ENDPOINT;
        boolean offline = isTrue(env.get("HF_HUB_OFFLINE"));
        Duration stall = Duration.ofSeconds(60);
        if (has(env, "HF_HUB_DOWNLOAD_TIMEOUT")) {
            try {
                stall = Duration.ofMillis(Math.max(1, (long) (Double.parseDouble(env.get("HF_HUB_DOWNLOAD_TIMEOUT").trim()) * 1000)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("HF_HUB_DOWNLOAD_TIMEOUT must be a number of seconds, not '"
                        + env.get("HF_HUB_DOWNLOAD_TIMEOUT") + "'");
            }
        }
        return new HubConfig(endpoint, token, hubCache, offline, 4, Duration.ofSeconds(1), stall);
    }

    public HubConfig withOffline(boolean offline) {
        return new HubConfig(endpoint, token, hubCache, offline, maxAttempts, retryBaseDelay, stallTimeout);
    }

    public HubConfig withRetries(int maxAttempts, Duration retryBaseDelay) {
        return new HubConfig(endpoint, token, hubCache, offline, maxAttempts, retryBaseDelay, stallTimeout);
    }

    public HubConfig withStallTimeout(Duration stallTimeout) {
        return new HubConfig(endpoint, token, hubCache, offline, maxAttempts, retryBaseDelay, stallTimeout);
    }

    /** Host name of the endpoint, for messages ("401 from huggingface.co"). */
    public String endpointHost() {
        String s = endpoint.replaceFirst("^[a-zA-Z]+://", "");
        int slash = s.indexOf('/');
        return slash < 0 ? s : s.substring(0, slash);
    }

    private static boolean has(Map<String, String> env, String key) {
        String v = env.get(key);
        return v != null && !v.isBlank();
    }

    /** True for huggingface_hub's spellings of "on": 1, ON, YES, TRUE (any case). */
    public static boolean isTrue(String v) {
        return v != null && TRUE_WORDS.contains(v.trim().toLowerCase(Locale.ROOT));
    }

    private static String readToken(Path file) {
        try {
            if (!Files.isRegularFile(file)) return null;
            String t = Files.readString(file, StandardCharsets.UTF_8).trim();
            return t.isEmpty() ? null : t;
        } catch (IOException | SecurityException e) {
            return null; // an unreadable token file is the same as none: public repos still work
        }
    }
}
