package dev.qwen4j.cli;

import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.json.Json;
import dev.qwen4j.tokenizer.Tokenizer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code qwen4j tokenize --model FILE TEXT}: the token ids and pieces of a text. */
@Command(name = "tokenize", description = "Show the token ids and pieces of a text.")
final class TokenizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE",
            description = "GGUF file, or a Hugging Face folder with tokenizer.json")
    Path model;

    @Option(names = {"-f", "--file"}, paramLabel = "F", description = "Read the text from a file (exact UTF-8 bytes, nothing stripped)")
    Path file;

    @Parameters(arity = "0..1", paramLabel = "TEXT", description = "Text to tokenize")
    String text;

    @Option(names = "--json", description = "Print one JSON object {\"ids\":[...],\"pieces\":[...]}")
    boolean json;

    @Option(names = "--special", description = "Parse control tokens such as <|im_start|> written in the text")
    boolean special;

    @Option(names = "--no-nfc", description = "Skip NFC normalisation (llama.cpp behaviour)")
    boolean noNfc;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        if ((file == null) == (text == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give either TEXT or --file F (exactly one)");
        }
        String input = file != null ? TextInput.read(file) : text;
        Tokenizer tokenizer = load(model).withNfc(!noNfc);
        int[] ids = tokenizer.encode(input, special);

        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            List<Integer> idList = new ArrayList<>(ids.length);
            List<String> pieces = new ArrayList<>(ids.length);
            for (int id : ids) {
                idList.add(id);
                pieces.add(tokenizer.piece(id));
            }
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("ids", idList);
            result.put("pieces", pieces);
            out.println(Json.write(result));
        } else {
            for (int id : ids) out.printf("%7d  %s%n", id, Json.quote(tokenizer.piece(id)));
            out.printf("%d tokens%n", ids.length);
        }
        out.flush();
        return 0;
    }

    static Tokenizer load(Path model) throws IOException {
        if (Files.isDirectory(model)) return Tokenizer.fromHuggingFace(model);
        try (GgufFile gguf = GgufFile.open(model)) {
            return Tokenizer.fromGguf(gguf);
        }
    }
}
