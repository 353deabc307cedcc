package dev.qwen4j.generate;

import dev.qwen4j.tokenizer.TokenType;
import dev.qwen4j.tokenizer.Tokenizer;

import java.util.BitSet;

/** {@link Vocabulary} over the real tokenizer. */
final class TokenizerVocabulary implements Vocabulary {
    private final Tokenizer tokenizer;
    private final BitSet unused = new BitSet();
    private final int modelRows;

    TokenizerVocabulary(Tokenizer tokenizer, int modelRows) {
        this.tokenizer = tokenizer;
        this.modelRows = modelRows;
        int size = tokenizer.vocabularySize();
        for (int id = 0; id < size; id++) if (tokenizer.tokenType(id) == TokenType.UNUSED) unused.set(id);
        if (modelRows > size) unused.set(size, modelRows); // embedding rows without a token
    }

    @Override
    public int size() {
        return tokenizer.vocabularySize();
    }

    @Override
    public byte[] bytes(int token) {
        return token < size() ? tokenizer.tokenBytes(token, false) : new byte[0];
    }

    @Override
    public int[] encode(String text) {
        return tokenizer.encode(text, true);
    }

    @Override
    public boolean isEndOfGeneration(int token) {
        return tokenizer.isEndOfGeneration(token);
    }

    @Override
    public int specialToken(String text) {
        return tokenizer.tokenId(text).orElse(-1);
    }

    @Override
    public BitSet unusedTokens() {
        return unused.isEmpty() ? null : unused;
    }

    int modelRows() {
        return modelRows;
    }
}
