package dev.qwen4j.generate;

import java.util.BitSet;

/**
 * What generation needs to know about the tokenizer: how tokens read as text, which ones end a turn, and the
 * ids of the chat-structure tokens (think blocks, turn starts). Implemented over the real tokenizer by
 * {@link Engine}, and by small fakes in tests.
 */
public interface Vocabulary {

    /** Number of token ids the tokenizer defines (the model's logit rows beyond it are padding). */
    int size();

    /** The UTF-8 bytes this token adds to the output text (an added token: its literal text). */
    byte[] bytes(int token);

    /** Tokenizes text, matching added tokens such as {@code </think>} as single tokens. */
    int[] encode(String text);

    /** End-of-generation tokens ({@code <|im_end|>}, {@code <|endoftext|>}, … QWEN_SPEC.md §5.6). */
    boolean isEndOfGeneration(int token);

    /** The id of an added token such as {@code <think>}, or −1 if this vocabulary has none. */
    int specialToken(String text);

    /** Ids the sampler must never produce (unused padding rows). Null when there are none. */
    default BitSet unusedTokens() {
        return null;
    }
}
