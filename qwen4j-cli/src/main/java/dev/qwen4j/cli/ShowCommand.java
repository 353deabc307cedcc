package dev.qwen4j.cli;

import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.hub.HubCache;
import dev.qwen4j.hub.HubException;
import dev.qwen4j.hub.MemoryFit;
import dev.qwen4j.hub.ModelRef;
import dev.qwen4j.hub.ModelResolver;
import dev.qwen4j.hub.Quants;
import dev.qwen4j.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code qwen4j show MODEL}: what a cached model (or a GGUF path) is, where it lives, and what it needs. */
@Command(name = "show", description = "Show a cached model's metadata, chat template, size, location and memory needs.")
final class ShowCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL", description = "Model name (as qwen4j list shows it) or a .gguf path.")
    String model;

    @Option(names = "--template", description = "Print the whole chat template.")
    boolean template;

    @Option(names = "--ctx", defaultValue = "4096", description = "Context length for the memory estimate (default: ${DEFAULT-VALUE}).")
    int ctx;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (ctx < 1) throw new IllegalArgumentException("--ctx must be ≥ 1, got " + ctx);
        ModelRef ref = ModelRef.parse(model);
        Path file;
        HubCache.CachedFile cached = null;
        if (ref instanceof ModelRef.HubModel m) {
            ModelResolver resolver = HubAccess.resolver(true, spec.commandLine().getErr());
            cached = resolver.findCached(m).orElseThrow(() -> new HubException(model + " is not in the cache "
                    + resolver.cache().root() + "; get it with: qwen4j pull " + model));
            file = cached.path();
        } else {
            file = ((ModelRef.LocalFile) ref).path();
        }
        try (GgufFile gguf = GgufFile.open(file)) {
            String arch = gguf.getString("general.architecture", "(none)");
            out.printf("model:         %s%n", cached != null ? cached.displayName() : file);
            out.printf("path:          %s%n", file);
            if (cached != null) {
                out.printf("blob:          %s%n", cached.blob());
                out.printf("repo:          %s @ %s%n", cached.repo(), cached.commit());
            } else if (Files.isSymbolicLink(file)) {
                out.printf("blob:          %s%n", file.toRealPath());
            }
            out.printf("size:          %s%n", InspectCommand.bytes(gguf.fileSize()));
            out.printf("architecture:  %s%n", arch);
            String name = gguf.getString("general.name", null);
            if (name != null) out.printf("name:          %s%n", name);
            out.printf("quant:         %s%n", Quants.of(file.getFileName().toString()).orElse("-"));
            long params = 0;
            for (Tensor t : gguf.tensors()) params += t.elementCount();
            out.printf("parameters:    %s%n", params >= 1_000_000_000 ? String.format(Locale.ROOT, "%.2f B", params / 1e9)
                    : String.format(Locale.ROOT, "%.1f M", params / 1e6));
            MemoryFit.ModelShape shape = MemoryFit.ModelShape.of(gguf);
            out.printf("context:       %d tokens (trained)%n", gguf.getLong(arch + ".context_length", 0));
            out.printf("layers:        %d%s%n", shape.attentionLayers() + shape.recurrentLayers(), shape.recurrentLayers() == 0 ? ""
                    : " (" + shape.attentionLayers() + " attention, " + shape.recurrentLayers() + " Gated DeltaNet)");
            MemoryFit.Verdict v = MemoryFit.check(model, shape, gguf.fileSize(), ctx, MemoryFit.Machine.current());
            out.printf("memory:        about %s at %d tokens (%s)%n", InspectCommand.bytes(v.estimate().total()), ctx,
                    v.estimate().breakdown());
            if (v.message() != null) out.printf("               %s%n", v.message());
            String tpl = gguf.getString("tokenizer.chat_template", null);
            if (tpl == null) {
                out.println("template:      none");
            } else if (template) {
                out.println("template:");
                out.println(tpl);
            } else {
                out.printf("template:      %d chars (print it with --template)%n", tpl.length());
            }
        }
        return 0;
    }
}
