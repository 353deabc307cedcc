package dev.qwen4j.cli;

import dev.qwen4j.hub.HubCache;
import dev.qwen4j.hub.HubException;
import dev.qwen4j.hub.ModelRef;
import dev.qwen4j.hub.ModelResolver;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code qwen4j rm MODEL...}: delete models from the Hugging Face cache. */
@Command(name = "rm", description = "Delete models from the Hugging Face cache (the names qwen4j list shows).")
final class RmCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL", arity = "1..*", description = "Model names.")
    List<String> models;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        ModelResolver resolver = HubAccess.resolver(true, spec.commandLine().getErr());
        for (String name : models) {
            ModelRef.HubModel m = HubAccess.hubModel(name, "qwen4j rm deletes cached models by the names qwen4j list shows");
            Optional<HubCache.CachedFile> removed = resolver.remove(m);
            if (removed.isEmpty()) {
                throw new HubException(name + " is not in the cache " + resolver.cache().root() + " (see qwen4j list)");
            }
            out.printf("deleted %s (%s, %s)%n", name, removed.get().file(), InspectCommand.bytes(removed.get().size()));
        }
        return 0;
    }
}
