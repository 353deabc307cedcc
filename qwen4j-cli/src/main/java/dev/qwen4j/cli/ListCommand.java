package dev.qwen4j.cli;

import dev.qwen4j.hub.HubCache;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code qwen4j list}: the GGUF models in the Hugging Face cache, whoever downloaded them. */
@Command(name = "list", aliases = "ls", description = "List the GGUF models in the Hugging Face cache.")
final class ListCommand implements Callable<Integer> {
    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneId.systemDefault());

    @Spec
    CommandSpec spec;

    @Option(names = "--paths", description = "Also print where each file is.")
    boolean paths;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        HubCache cache = new HubCache(HubAccess.config(true).hubCache());
        // one row per model file: the copy in the snapshot "main" points at wins over older snapshots
        Map<String, HubCache.CachedFile> rows = new LinkedHashMap<>();
        for (HubCache.CachedFile f : cache.list()) {
            String key = f.repo() + "/" + f.file();
            HubCache.CachedFile seen = rows.get(key);
            if (seen == null || (!seen.current() && f.current())) rows.put(key, f);
        }
        if (rows.isEmpty()) {
            out.printf("no models in %s; get one with: qwen4j pull qwen3.5:0.8b%n", cache.root());
            return 0;
        }
        List<HubCache.CachedFile> files = List.copyOf(rows.values());
        int nameWidth = Math.max(4, files.stream().mapToInt(f -> f.displayName().length()).max().orElse(4));
        String format = "%-" + nameWidth + "s  %10s  %-16s  %s%n";
        out.printf(format, "NAME", "SIZE", "MODIFIED", paths ? "PATH" : "REPO");
        for (HubCache.CachedFile f : files) {
            out.printf(format, f.displayName(), InspectCommand.bytes(f.size()), WHEN.format(f.modified().toInstant()),
                    paths ? f.path() : f.repo());
        }
        return 0;
    }
}
