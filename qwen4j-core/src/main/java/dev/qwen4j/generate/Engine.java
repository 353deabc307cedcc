package dev.qwen4j.generate;

import dev.qwen4j.chat.ChatTemplate;
import dev.qwen4j.convert.HfCheckpoint;
import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.model.DeltaNetConfig;
import dev.qwen4j.model.LanguageModel;
import dev.qwen4j.model.LoadOptions;
import dev.qwen4j.model.ModelConfig;
import dev.qwen4j.model.Models;
import dev.qwen4j.tensor.Tensor;
import dev.qwen4j.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A loaded model with everything needed to talk to it: the weights ({@link LanguageModel}), the tokenizer and the
 * chat template. Load once, then open any number of independent {@link Session}s or {@link Chat}s on it, from
 * any threads; the engine itself holds no per-conversation state.
 */
public final class Engine implements AutoCloseable {
    /** The default context when nothing is said: Qwen's usual output length, enough for long chats. */
    private static final int DEFAULT_CONTEXT_CAP = 32768;
    private static final int MIN_CONTEXT = 512;

    private final Path path;
    private final String name;
    private final LanguageModel model;
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final TokenizerVocabulary vocabulary;
    private final long parameterCount;
    /** KV-cache bytes per context position (0 if unknown). */
    private final long kvBytesPerPosition;

    private Engine(Path path, String name, LanguageModel model, Tokenizer tokenizer, ChatTemplate template, long parameterCount,
                   long kvBytesPerPosition) {
        this.path = path;
        this.name = name;
        this.model = model;
        this.tokenizer = tokenizer;
        this.template = template;
        this.parameterCount = parameterCount;
        this.kvBytesPerPosition = kvBytesPerPosition;
        this.vocabulary = new TokenizerVocabulary(tokenizer, model.vocabSize());
    }

    public static Engine load(Path gguf) throws IOException {
        return load(gguf, LoadOptions.defaults());
    }

    /**
     * Loads a GGUF file (tokenizer and chat template from its metadata, then the weights), or a Hugging Face
     * checkpoint folder ({@code tokenizer.json}, {@code *.safetensors}, converted while loading).
     */
    public static Engine load(Path path, LoadOptions options) throws IOException {
        if (Files.isDirectory(path)) return loadCheckpoint(path, options);
        String name;
        Tokenizer tokenizer;
        ChatTemplate template;
        long parameters = 0;
        long kvBytes;
        try (GgufFile file = GgufFile.open(path)) {
            String arch = file.getString("general.architecture", null);
            name = file.getString("general.name", path.getFileName().toString());
            tokenizer = Tokenizer.fromGguf(file);
            if (file.tensors().isEmpty()) {
                throw new IOException(path + " holds a vocabulary but no weights (a vocab-only GGUF): it can tokenize, not answer");
            }
            template = ChatTemplate.detect(arch, file.getString("tokenizer.chat_template", null));
            for (Tensor t : file.tensors()) if (!t.name().contains(".nextn.")) parameters += t.elementCount();
            kvBytes = kvBytesPerPosition(file, options);
        }
        LanguageModel model = Models.load(path, options);
        return new Engine(path, name, model, tokenizer, template, parameters, kvBytes);
    }

    private static Engine loadCheckpoint(Path dir, LoadOptions options) throws IOException {
        if (!HfCheckpoint.isCheckpoint(dir)) {
            throw new IOException(dir + ": is a directory, not a GGUF file or a Hugging Face checkpoint (config.json, *.safetensors)");
        }
        Tokenizer tokenizer = Tokenizer.fromHuggingFace(dir);
        // Checkpoints are BF16/F16: two bytes per parameter is close enough to tell a 2B from a 4B model.
        long bytes = 0;
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) if (f.toString().endsWith(".safetensors")) bytes += Files.size(f);
        }
        LanguageModel model = Models.load(dir, options);
        ChatTemplate template = ChatTemplate.detect(model.architecture(), tokenizer.chatTemplate().orElse(null));
        return new Engine(dir, dir.getFileName().toString(), model, tokenizer, template, bytes / 2, 0);
    }

    /** Keys and values of every attention layer (Qwen3.5: only the full-attention ones) for one position. */
    private static long kvBytesPerPosition(GgufFile file, LoadOptions options) {
        try {
            ModelConfig c = Models.config(file);
            int attentionLayers = c.layers();
            if (c.architecture().equals("qwen35")) {
                DeltaNetConfig d = Models.deltaNetConfig(file);
                attentionLayers = 0;
                for (int i = 0; i < c.layers(); i++) if (d.isFullAttention(i)) attentionLayers++;
            }
            int bytes = options.kvCacheType() == LoadOptions.KvCacheType.F16 ? 2 : 4;
            return 2L * attentionLayers * c.kvDim() * bytes;
        } catch (RuntimeException e) {
            return 0; // Models.load reports what is wrong with the file
        }
    }

    /** An engine over parts built elsewhere (tests, other loaders). */
    public static Engine of(LanguageModel model, Tokenizer tokenizer, ChatTemplate template, long parameterCount) {
        return new Engine(null, model.architecture(), model, tokenizer, template, parameterCount, 0);
    }

    public Path path() {
        return path;
    }

    /** {@code general.name}, or the file name. */
    public String name() {
        return name;
    }

    public LanguageModel model() {
        return model;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public ChatTemplate template() {
        return template;
    }

    public Vocabulary vocabulary() {
        return vocabulary;
    }

    public String architecture() {
        return model.architecture();
    }

    public long parameterCount() {
        return parameterCount;
    }

    /** Whether a chat thinks when the request does not say (the template's default, QWEN_SPEC.md §6.3). */
    public boolean thinksByDefault() {
        return QwenDefaults.supportsThinking(architecture()) && template.thinksByDefault();
    }

    /** Qwen's recommended sampling for this model in the given mode (QWEN_SPEC.md §7.1). */
    public SamplingParams defaultSampling(boolean thinking) {
        return QwenDefaults.sampling(architecture(), parameterCount, thinking);
    }

    /**
     * A context size that fits this machine: as many positions as half of the free heap can hold as KV cache,
     * rounded down to a multiple of 256, between 512 and min(32768, the model's trained context). (The cache
     * grows as it fills, so an unused context costs nothing; this bounds what a long conversation may take.)
     */
    public int defaultContextSize() {
        int trained = model.trainedContextLength();
        int cap = Math.min(DEFAULT_CONTEXT_CAP, trained);
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        long fits = kvBytesPerPosition <= 0 ? cap : free / 2 / kvBytesPerPosition;
        int size = (int) Math.min(cap, fits) / 256 * 256;
        return Math.max(Math.min(MIN_CONTEXT, trained), size);
    }

    /** Memory one context position takes in the KV cache (0 if unknown). */
    public long kvBytesPerPosition() {
        return kvBytesPerPosition;
    }

    /** A new independent session holding up to {@code contextSize} positions. */
    public Session newSession(int contextSize) {
        return newSession(contextSize, PromptCache.Options.defaults());
    }

    public Session newSession(int contextSize, PromptCache.Options cacheOptions) {
        checkContextSize(contextSize);
        return new Session(model, vocabulary, contextSize, cacheOptions, template.toolCallFormat());
    }

    /** A new conversation on its own session. */
    public Chat newChat(int contextSize) {
        return new Chat(this, newSession(contextSize));
    }

    public Chat newChat(int contextSize, PromptCache.Options cacheOptions) {
        return new Chat(this, newSession(contextSize, cacheOptions));
    }

    private void checkContextSize(int contextSize) {
        int trained = model.trainedContextLength();
        if (contextSize < 16) throw new IllegalArgumentException("context size " + contextSize + " is too small (at least 16)");
        if (contextSize > trained) {
            throw new IllegalArgumentException("context size " + contextSize + " exceeds the " + trained + " positions this model was trained for");
        }
    }

    @Override
    public void close() {
        model.close();
    }
}
