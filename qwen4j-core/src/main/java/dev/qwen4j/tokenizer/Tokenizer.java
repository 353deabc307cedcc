package dev.qwen4j.tokenizer;

import dev.qwen4j.gguf.GgufFile;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Qwen's byte-level BPE tokenizer (QWEN_SPEC.md §5), built from GGUF metadata ({@link #fromGguf}) or a Hugging Face
 * {@code tokenizer.json} folder ({@link #fromHuggingFace}). Immutable and thread-safe.
 *
 * <p>Encoding: added tokens are cut out of the text first; the fragments between them are NFC-normalised,
 * pre-tokenized ({@link PreTokenizer}), byte-mapped and BPE-merged. No BOS/EOS is added.
 *
 * <p><b>Added tokens</b> follow llama.cpp: {@linkplain TokenType#USER_DEFINED user-defined} tokens ({@code <think>},
 * {@code <tool_call>}, …) are always matched as single tokens; {@linkplain TokenType#CONTROL control} tokens
 * ({@code <|im_start|>}, …) only when the caller passes {@code parseSpecial = true} (use that for rendered chat
 * prompts, never for raw user text you do not want to inject turn markers). Like llama.cpp, user-defined tokens
 * that look like control tokens ({@code <|…|>}, e.g. Qwen's {@code <|fim_pad|>}) are treated as control.
 *
 * <p><b>NFC</b>: Qwen's Hugging Face tokenizer normalises text to Unicode NFC before splitting; llama.cpp does not.
 * This tokenizer normalises by default (so it agrees with the model's training tokenization); use
 * {@link #withNfc withNfc(false)} to reproduce llama.cpp ids exactly for non-NFC input. The two only differ on text
 * that is not already in NFC (e.g. decomposed accents).
 *
 * <p>Decoding never throws: invalid UTF-8 becomes U+FFFD. Use {@link #streamingDecoder()} for token-by-token output.
 */
public final class Tokenizer {
    private static final int CACHE_LIMIT = 1 << 16;
    private static final int SHORT_PIECE = 32; // bytes; longer pieces use the heap-based merge loop
    private static final List<String> EOG_TEXTS = List.of("<|im_end|>", "<|endoftext|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>");

    private final Vocabulary vocab;
    private final PreTokenizer preTokenizer;
    private final boolean nfc;

    private Tokenizer(Vocabulary vocab, PreTokenizer preTokenizer, boolean nfc) {
        this.vocab = vocab;
        this.preTokenizer = preTokenizer;
        this.nfc = nfc;
    }

    /**
     * Builds the tokenizer from {@code tokenizer.ggml.*} metadata. Only {@code tokenizer.ggml.model = gpt2}
     * (byte-level BPE) is supported; the pre-tokenizer comes from {@code tokenizer.ggml.pre}.
     */
    public static Tokenizer fromGguf(GgufFile gguf) {
        String model = gguf.getString("tokenizer.ggml.model", null);
        if (model == null) throw new IllegalArgumentException(gguf.source() + ": no tokenizer in this file (tokenizer.ggml.model missing)");
        if (!model.equals("gpt2")) throw new IllegalArgumentException(gguf.source() + ": tokenizer.ggml.model '" + model + "' is not supported (Qwen uses gpt2 byte-level BPE)");
        String[] tokens = gguf.getStringArray("tokenizer.ggml.tokens");
        if (tokens == null) throw new IllegalArgumentException(gguf.source() + ": missing metadata key 'tokenizer.ggml.tokens'");
        int[] typeCodes = gguf.getIntArray("tokenizer.ggml.token_type");
        if (typeCodes != null && typeCodes.length != tokens.length) {
            throw new IllegalArgumentException(gguf.source() + ": token_type has " + typeCodes.length + " entries for " + tokens.length + " tokens");
        }
        TokenType[] types = new TokenType[tokens.length];
        for (int i = 0; i < tokens.length; i++) types[i] = typeCodes == null ? TokenType.NORMAL : TokenType.fromGguf(typeCodes[i]);
        String[] merges = gguf.getStringArray("tokenizer.ggml.merges");
        if (merges == null) throw new IllegalArgumentException(gguf.source() + ": missing metadata key 'tokenizer.ggml.merges'");
        List<String[]> pairs = new ArrayList<>(merges.length);
        for (String m : merges) {
            int space = m.indexOf(' ', 1);
            if (space < 0) throw new IllegalArgumentException(gguf.source() + ": malformed merge '" + m + "' (expected two symbols separated by a space)");
            pairs.add(new String[] {m.substring(0, space), m.substring(space + 1)});
        }
        Set<Integer> eos = new LinkedHashSet<>();
        long eosId = gguf.getLong("tokenizer.ggml.eos_token_id", -1);
        if (eosId >= 0 && eosId < tokens.length) eos.add((int) eosId);
        Vocabulary vocab = new Vocabulary(tokens, types, pairs, eos, gguf.getString("tokenizer.chat_template", null));
        PreTokenizer pre = PreTokenizer.fromGgufName(gguf.getString("tokenizer.ggml.pre", "qwen2"));
        return new Tokenizer(vocab, pre, true);
    }

    /**
     * Builds the tokenizer from a Hugging Face checkpoint folder: {@code tokenizer.json} (vocabulary, merges, added
     * tokens, pre-tokenizer regex, normalizer), plus, when present, {@code tokenizer_config.json} (EOS token, chat
     * template), {@code chat_template.jinja} and {@code generation_config.json} (extra EOS ids).
     */
    public static Tokenizer fromHuggingFace(java.nio.file.Path dir) throws java.io.IOException {
        return HuggingFaceLoader.load(dir);
    }

    static Tokenizer of(Vocabulary vocab, PreTokenizer pre, boolean nfc) {
        return new Tokenizer(vocab, pre, nfc);
    }

    /** The same vocabulary with NFC normalisation switched on or off (see the class comment). */
    public Tokenizer withNfc(boolean enabled) {
        return enabled == nfc ? this : new Tokenizer(vocab, preTokenizer, enabled);
    }

    /** The same vocabulary with another pre-tokenizer (e.g. to test a Qwen3.5 corpus on the Qwen3 vocabulary). */
    public Tokenizer withPreTokenizer(PreTokenizer pre) {
        return pre == preTokenizer ? this : new Tokenizer(vocab, pre, nfc);
    }

    public PreTokenizer preTokenizer() {
        return preTokenizer;
    }

    public boolean nfc() {
        return nfc;
    }

    /** Number of token ids (embedding rows), including added and unused tokens. */
    public int vocabularySize() {
        return vocab.tokens.length;
    }

    /** The vocabulary string of a token (byte-level stand-in form for ordinary tokens, plain text for added tokens). */
    public String token(int id) {
        return vocab.tokens[id];
    }

    public TokenType tokenType(int id) {
        return vocab.types[id];
    }

    /** Id of an added token or an ordinary vocabulary string, if present. */
    public Optional<Integer> tokenId(String token) {
        Integer id = vocab.added.get(token);
        if (id == null) id = vocab.ids.get(token);
        return Optional.ofNullable(id);
    }

    /** The template stored with the tokenizer ({@code tokenizer.chat_template} or {@code tokenizer_config.json}). */
    public Optional<String> chatTemplate() {
        return Optional.ofNullable(vocab.chatTemplate);
    }

    /** End-of-generation ids (QWEN_SPEC.md §5.6): the file's EOS plus {@code <|im_end|>}, {@code <|endoftext|>}, FIM pad, repo name, file separator. */
    public Set<Integer> endOfGenerationIds() {
        return vocab.eog;
    }

    public boolean isEndOfGeneration(int id) {
        return vocab.eog.contains(id);
    }

    /** Encodes text; control tokens in it are plain text (user-defined tokens still match). */
    public int[] encode(String text) {
        return encode(text, false);
    }

    /**
     * Encodes text. With {@code parseSpecial}, control tokens written in the text ({@code <|im_start|>} …) become
     * their ids; without, they are tokenized as ordinary text. User-defined tokens always become their ids.
     */
    public int[] encode(String text, boolean parseSpecial) {
        IntBuffer out = new IntBuffer(Math.max(16, text.length() / 3));
        int start = 0;
        int n = text.length();
        for (int i = 0; i < n; ) {
            Vocabulary.Added match = vocab.matchAddedAt(text, i, parseSpecial);
            if (match == null) {
                i++;
                continue;
            }
            if (i > start) encodeFragment(text.substring(start, i), out);
            out.add(match.id());
            i += match.text().length();
            start = i;
        }
        if (start < n) encodeFragment(start == 0 ? text : text.substring(start), out);
        return out.toArray();
    }

    private void encodeFragment(String fragment, IntBuffer out) {
        String text = nfc ? normalizeNfc(fragment) : fragment;
        preTokenizer.split(text, (from, to) -> {
            String piece = text.substring(from, to);
            int[] ids = vocab.cache.get(piece);
            if (ids == null) {
                ids = bpe(piece);
                if (vocab.cache.size() >= CACHE_LIMIT) vocab.cache.clear();
                vocab.cache.put(piece, ids);
            }
            out.addAll(ids);
        });
    }

    private static String normalizeNfc(String s) {
        // Every code point below U+0300 is NFC-stable, which covers ASCII and Latin-1 text without a library call.
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x300) return Normalizer.isNormalized(s, Normalizer.Form.NFC) ? s : Normalizer.normalize(s, Normalizer.Form.NFC);
        }
        return s;
    }

    private int[] bpe(String piece) {
        return bpe(piece, SHORT_PIECE);
    }

    /**
     * BPE of one pre-token (QWEN_SPEC.md §5.4): lowest rank first, leftmost among equal ranks. Pieces of up to
     * {@code shortLimit} bytes take the array path, longer ones the heap path (tests compare the two).
     */
    int[] bpe(String piece, int shortLimit) {
        byte[] utf8 = piece.getBytes(StandardCharsets.UTF_8);
        int n = utf8.length;
        int[] sym = new int[n];
        for (int i = 0; i < n; i++) {
            sym[i] = vocab.byteIds[utf8[i] & 0xFF];
            if (sym[i] < 0) { // a broken vocabulary: dropping the byte would silently lose text
                throw new IllegalArgumentException(String.format("the vocabulary has no token for byte 0x%02x, so it cannot encode %s",
                        utf8[i] & 0xFF, piece.length() > 40 ? "this text" : "'" + piece + "'"));
            }
        }
        if (n == 1) return sym;
        if (n <= shortLimit) return bpeShort(sym);

        int[] next = new int[n];
        int[] prev = new int[n];
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        LongHeap heap = new LongHeap(n * 2);
        for (int i = 0; i + 1 < n; i++) pushPair(heap, sym, i, i + 1);
        while (!heap.isEmpty()) {
            long entry = heap.pop();
            int rank = (int) (entry >>> 32);
            int left = (int) entry;
            int right = next[left];
            if (sym[left] < 0 || right < 0) continue;
            int slot = vocab.merges.find(sym[left], sym[right]);
            if (slot < 0 || vocab.merges.rank(slot) != rank) continue; // stale entry
            sym[left] = vocab.merges.result(slot);
            sym[right] = -2;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            if (prev[left] >= 0) pushPair(heap, sym, prev[left], left);
            if (next[left] >= 0) pushPair(heap, sym, left, next[left]);
        }
        int count = 0;
        for (int i = 0; i < n; i++) if (sym[i] >= 0) count++;
        int[] out = new int[count];
        count = 0;
        for (int i = 0; i < n; i++) if (sym[i] >= 0) out[count++] = sym[i];
        return out;
    }

    /**
     * The same merge order for short pieces (most words) without the linked list and heap: an array of pair ranks,
     * scanned for the minimum, updated around each merge.
     */
    private int[] bpeShort(int[] sym) {
        int len = 0;
        for (int id : sym) if (id >= 0) sym[len++] = id;
        int[] rank = new int[Math.max(len - 1, 0)];
        for (int i = 0; i + 1 < len; i++) rank[i] = pairRank(sym[i], sym[i + 1]);
        while (len > 1) {
            int best = -1;
            for (int i = 0; i + 1 < len; i++) if (rank[i] != Integer.MAX_VALUE && (best < 0 || rank[i] < rank[best])) best = i;
            if (best < 0) break;
            sym[best] = vocab.merges.result(vocab.merges.find(sym[best], sym[best + 1]));
            System.arraycopy(sym, best + 2, sym, best + 1, len - best - 2);
            int ranksAfter = len - best - 3; // pairs right of the merged one's right neighbour shift left by one
            if (ranksAfter > 0) System.arraycopy(rank, best + 2, rank, best + 1, ranksAfter);
            len--;
            if (best > 0) rank[best - 1] = pairRank(sym[best - 1], sym[best]);
            if (best + 1 < len) rank[best] = pairRank(sym[best], sym[best + 1]);
        }
        return Arrays.copyOf(sym, len);
    }

    private int pairRank(int left, int right) {
        int slot = vocab.merges.find(left, right);
        return slot < 0 ? Integer.MAX_VALUE : vocab.merges.rank(slot);
    }

    private void pushPair(LongHeap heap, int[] sym, int left, int right) {
        if (sym[left] < 0 || sym[right] < 0) return;
        int slot = vocab.merges.find(sym[left], sym[right]);
        if (slot >= 0) heap.push(((long) vocab.merges.rank(slot) << 32) | left);
    }

    /** Decodes ids to text; control tokens are left out, user-defined tokens ({@code <think>} …) are included. */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /** Decodes ids to text, including control tokens when {@code renderControl} is set. Invalid UTF-8 becomes U+FFFD. */
    public String decode(int[] ids, boolean renderControl) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) out.writeBytes(tokenBytes(id, renderControl));
        return out.toString(StandardCharsets.UTF_8);
    }

    /**
     * The bytes a token stands for (empty for control and unused tokens unless {@code renderControl}). A single
     * token may hold part of a UTF-8 character.
     */
    public byte[] tokenBytes(int id, boolean renderControl) {
        if (id < 0 || id >= vocab.tokens.length) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (0.." + (vocab.tokens.length - 1) + ")");
        TokenType type = vocab.types[id];
        if (!renderControl && (type == TokenType.CONTROL || type == TokenType.UNUSED || type == TokenType.UNKNOWN)) return new byte[0];
        return vocab.bytes(id);
    }

    /** Text of one token for display (control tokens rendered, partial UTF-8 shown as U+FFFD). */
    public String piece(int id) {
        return new String(tokenBytes(id, true), StandardCharsets.UTF_8);
    }

    /** A fresh incremental decoder (one per output stream; not thread-safe). */
    public StreamingDecoder streamingDecoder() {
        return new StreamingDecoder(this, false);
    }

    /** A fresh incremental decoder that also prints control tokens. */
    public StreamingDecoder streamingDecoder(boolean renderControl) {
        return new StreamingDecoder(this, renderControl);
    }

    /** Vocabulary, merges and added tokens; shared by tokenizers that differ only in options. */
    static final class Vocabulary {
        record Added(String text, int id, TokenType type) {
        }

        final String[] tokens;
        final TokenType[] types;
        final Map<String, Integer> ids;
        final Map<String, Integer> added = new HashMap<>();
        final MergeTable merges;
        final int[] byteIds = new int[256];
        final Set<Integer> eog;
        final String chatTemplate;
        /** BPE result per pre-token; depends only on the vocabulary, so tokenizer variants share it. */
        final Map<String, int[]> cache = new ConcurrentHashMap<>();
        /** Added tokens by first character, longest first (leftmost-longest matching). */
        private final Map<Character, Added[]> addedByFirstChar = new HashMap<>();
        private final java.util.BitSet addedFirstChars = new java.util.BitSet(1 << 16);
        private final byte[][] bytes;

        Vocabulary(String[] tokens, TokenType[] types, List<String[]> mergePairs, Set<Integer> extraEog, String chatTemplate) {
            this.tokens = tokens;
            this.types = types.clone();
            this.chatTemplate = chatTemplate;
            this.bytes = new byte[tokens.length][];
            ids = new HashMap<>(tokens.length * 2);
            List<Added> addedList = new ArrayList<>();
            for (int id = 0; id < tokens.length; id++) {
                String t = tokens[id];
                if (t == null) {
                    this.types[id] = TokenType.UNUSED;
                    continue;
                }
                TokenType type = this.types[id];
                if (type == TokenType.USER_DEFINED && t.startsWith("<|") && t.endsWith("|>")) {
                    type = TokenType.CONTROL; // llama.cpp's "control-looking token" rule
                    this.types[id] = type;
                }
                if (type == TokenType.CONTROL || type == TokenType.USER_DEFINED) {
                    if (!t.isEmpty()) {
                        added.putIfAbsent(t, id);
                        addedList.add(new Added(t, id, type));
                    }
                } else if (type != TokenType.UNUSED) {
                    ids.putIfAbsent(t, id);
                }
            }
            Arrays.fill(byteIds, -1);
            for (int b = 0; b < 256; b++) {
                Integer id = ids.get(String.valueOf(ByteLevel.charOf(b)));
                if (id != null) byteIds[b] = id;
            }
            merges = new MergeTable(mergePairs.size());
            for (int rank = 0; rank < mergePairs.size(); rank++) {
                String[] p = mergePairs.get(rank);
                Integer left = ids.get(p[0]);
                Integer right = ids.get(p[1]);
                Integer result = ids.get(p[0] + p[1]);
                if (left == null || right == null || result == null) continue; // cannot fire on this vocabulary
                merges.add(left, right, rank, result);
            }
            addedList.sort(Comparator.comparingInt((Added a) -> a.text().length()).reversed());
            Map<Character, List<Added>> groups = new HashMap<>();
            for (Added a : addedList) groups.computeIfAbsent(a.text().charAt(0), k -> new ArrayList<>()).add(a);
            groups.forEach((c, list) -> {
                addedByFirstChar.put(c, list.toArray(new Added[0]));
                addedFirstChars.set(c);
            });

            Set<Integer> eogIds = new LinkedHashSet<>(extraEog);
            for (String text : EOG_TEXTS) {
                Integer id = added.get(text);
                if (id != null) eogIds.add(id);
            }
            this.eog = Collections.unmodifiableSet(eogIds);
        }

        Added matchAddedAt(String text, int i, boolean parseSpecial) {
            char first = text.charAt(i);
            if (!addedFirstChars.get(first)) return null;
            Added[] candidates = addedByFirstChar.get(first);
            if (candidates == null) return null;
            for (Added a : candidates) {
                if ((parseSpecial || a.type() == TokenType.USER_DEFINED) && text.startsWith(a.text(), i)) return a;
            }
            return null;
        }

        byte[] bytes(int id) {
            byte[] b = bytes[id];
            if (b == null) {
                String t = tokens[id] == null ? "" : tokens[id];
                TokenType type = types[id];
                b = (type == TokenType.NORMAL || type == TokenType.BYTE) ? ByteLevel.decode(t) : t.getBytes(StandardCharsets.UTF_8);
                bytes[id] = b; // benign race: every thread computes the same array
            }
            return b;
        }
    }

    /** Growable int array. */
    private static final class IntBuffer {
        int[] a;
        int size;

        IntBuffer(int capacity) {
            a = new int[capacity];
        }

        void add(int v) {
            if (size == a.length) a = Arrays.copyOf(a, size * 2);
            a[size++] = v;
        }

        void addAll(int[] v) {
            if (size + v.length > a.length) a = Arrays.copyOf(a, Math.max(size * 2, size + v.length));
            System.arraycopy(v, 0, a, size, v.length);
            size += v.length;
        }

        int[] toArray() {
            return Arrays.copyOf(a, size);
        }
    }

    /** Binary min-heap of longs. */
    private static final class LongHeap {
        long[] a;
        int size;

        LongHeap(int capacity) {
            a = new long[Math.max(4, capacity)];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void push(long v) {
            if (size == a.length) a = Arrays.copyOf(a, size * 2);
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (a[parent] <= v) break;
                a[i] = a[parent];
                i = parent;
            }
            a[i] = v;
        }

        long pop() {
            long top = a[0];
            long last = a[--size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) break;
                if (child + 1 < size && a[child + 1] < a[child]) child++;
                if (a[child] >= last) break;
                a[i] = a[child];
                i = child;
            }
            a[i] = last;
            return top;
        }
    }
}
