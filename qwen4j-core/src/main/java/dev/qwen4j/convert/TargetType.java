package dev.qwen4j.convert;

import dev.qwen4j.tensor.GgmlType;

import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The weight type of a converted or requantized file, and which GGUF type each tensor gets.
 *
 * <p>Rules shared by every target: 1-D tensors (norms, biases, {@code ssm_a}, {@code ssm_dt}) and the conv taps
 * {@code ssm_conv1d} stay F32, as in real files; a matrix whose row length is not a multiple of the chosen type's
 * block falls back to Q8_0 (K-quants on rows of 32·k) or F32.
 *
 * <p>{@link #Q4_0} keeps the output head (or the tied embedding) at Q6_K, as llama.cpp does: 4-bit logits hurt most.
 *
 * <p>{@link #Q4_K_M} follows the idea of llama.cpp's mix, simplified: Q4_K everywhere, except Q6_K for the output
 * head (or the token embedding when the head is tied to it), for {@code attn_v} / {@code ffn_down} in the
 * layers that get "more bits" — the first and last eighth of the stack and every third layer in between — and for
 * the Qwen3.5 DeltaNet {@code attn_qkv} (llama.cpp: Q5_K; qwen4j has no Q5_K quantizer).
 */
public enum TargetType {
    /** Keep F32 / F16 / BF16 weights as they are (loading a checkpoint directly). */
    SOURCE(-1),
    F32(0),
    F16(1),
    BF16(32),
    Q8_0(7),
    Q4_0(2),
    Q4_K_M(15);

    private static final Pattern LAYER = Pattern.compile("^blk\\.(\\d+)\\.");

    /** llama.cpp's {@code general.file_type} ({@code LLAMA_FTYPE_*}) for this mix. */
    public final int fileType;

    TargetType(int fileType) {
        this.fileType = fileType;
    }

    /** Parses a --type value: f32, f16, bf16, q8_0, q4_0, q4_k_m (case-insensitive). */
    public static TargetType parse(String s) {
        for (TargetType t : values()) {
            if (t != SOURCE && t.name().equalsIgnoreCase(s.trim())) return t;
        }
        throw new IllegalArgumentException("unknown type '" + s + "'; use one of "
                + String.join(", ", Arrays.stream(values()).filter(t -> t != SOURCE).map(t -> t.name().toLowerCase(Locale.ROOT)).toList()));
    }

    public boolean isQuantized() {
        return this == Q8_0 || this == Q4_0 || this == Q4_K_M;
    }

    /**
     * The type of tensor {@code name} with ggml dims {@code dims}, stored now as {@code source}, in a model of
     * {@code layers} layers whose output head is a separate tensor when {@code hasOutput}.
     */
    public GgmlType typeFor(String name, long[] dims, GgmlType source, int layers, boolean hasOutput) {
        if (dims.length == 1 || name.endsWith("ssm_conv1d.weight")) return GgmlType.F32;
        long row = dims[0];
        GgmlType wanted = switch (this) {
            case SOURCE -> source;
            case F32 -> GgmlType.F32;
            case F16 -> GgmlType.F16;
            case BF16 -> GgmlType.BF16;
            case Q8_0 -> GgmlType.Q8_0;
            case Q4_0 -> isOutputHead(name, hasOutput) ? GgmlType.Q6_K : GgmlType.Q4_0;
            case Q4_K_M -> isOutputHead(name, hasOutput) || moreBits(name, layers) ? GgmlType.Q6_K : GgmlType.Q4_K;
        };
        if (row % wanted.blockSize == 0) return wanted;
        return row % GgmlType.Q8_0.blockSize == 0 && wanted.isQuantized() ? GgmlType.Q8_0 : GgmlType.F32;
    }

    /** The tensor the logits come from: {@code output.weight}, or the embedding when the head is tied to it. */
    private static boolean isOutputHead(String name, boolean hasOutput) {
        return name.equals("output.weight") || (!hasOutput && name.equals("token_embd.weight"));
    }

    /**
     * llama.cpp's "use more bits" layers for attn_v / ffn_down; and the Qwen3.5 DeltaNet's fused q/k/v projection
     * {@code attn_qkv}, which llama.cpp raises to Q5_K (no Q5_K quantizer here, so Q6_K).
     */
    private static boolean moreBits(String name, int layers) {
        if (name.endsWith(".attn_qkv.weight")) return true;
        if (!name.endsWith(".attn_v.weight") && !name.endsWith(".ffn_down.weight")) return false;
        Matcher m = LAYER.matcher(name);
        if (!m.find()) return false;
        int i = Integer.parseInt(m.group(1));
        return i < layers / 8 || i >= 7 * layers / 8 || (i - layers / 8) % 3 == 2;
    }
}
