package dev.qwen4j.model;

/** One pre-norm decoder layer: {@code h += mixer(norm(h)); h += ffn(norm(h))} (QWEN_SPEC.md §3.1, §4.3). */
record DecoderLayer(float[] inputNorm, TokenMixer mixer, float[] ffnNorm, FeedForward ffn) {
}
