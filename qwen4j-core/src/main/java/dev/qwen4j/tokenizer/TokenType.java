package dev.qwen4j.tokenizer;

/** GGUF {@code tokenizer.ggml.token_type} values (QWEN_SPEC.md §5.5). */
public enum TokenType {
    /** Ordinary BPE token. */
    NORMAL,
    UNKNOWN,
    /** Special token such as {@code <|im_start|>}: only parsed from text on request, only printed on request. */
    CONTROL,
    /** Added token such as {@code <think>}: always matched as one token in text and always printed. */
    USER_DEFINED,
    /** Padding row of the embedding with no real token; never produced. */
    UNUSED,
    BYTE;

    public static TokenType fromGguf(int code) {
        return switch (code) {
            case 1 -> NORMAL;
            case 2 -> UNKNOWN;
            case 3 -> CONTROL;
            case 4 -> USER_DEFINED;
            case 5 -> UNUSED;
            case 6 -> BYTE;
            default -> throw new IllegalArgumentException("unknown token type " + code);
        };
    }

    public int ggufCode() {
        return ordinal() + 1;
    }
}
