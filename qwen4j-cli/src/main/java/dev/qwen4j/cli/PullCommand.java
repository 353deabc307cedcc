package dev.qwen4j.cli;

import dev.qwen4j.hub.Catalogue;
import dev.qwen4j.hub.ModelRef;
import dev.qwen4j.hub.ModelResolver;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code qwen4j pull MODEL}: download a model into the Hugging Face cache, or bring it up to date. */
@Command(name = "pull", description = {
        "Download a model (verified by its SHA-256) into the Hugging Face cache, or check that it is up to date.",
        "MODEL is a name such as qwen3.5:0.8b, qwen3:4b-q8_0 or hf.co/USER/REPO[:QUANT]."})
final class PullCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL", arity = "0..1", description = "Model name (default: " + Catalogue.DEFAULT_MODEL + ").")
    String model;

    @Option(names = "--offline", description = "Do not use the network (as HF_HUB_OFFLINE=1): only check the cache.")
    boolean offline;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ModelRef.HubModel m = HubAccess.hubModel(model,
                "nothing to pull (names look like " + Catalogue.DEFAULT_MODEL + ", qwen3:4b-q8_0 or hf.co/USER/REPO[:QUANT])");
        ModelResolver resolver = HubAccess.resolver(offline, err);
        ModelResolver.Pulled p = resolver.pull(m);
        String status = p.downloaded() ? "downloaded" : resolver.config().offline() ? "cached (offline: not checked for updates)" : "up to date";
        out.printf("%s: %s %s (%s) from %s%n", m.displayName(), status, p.file(),
                InspectCommand.bytes(p.size()), p.repo());
        out.printf("  %s%n", p.path());
        return 0;
    }
}
