package dev.qwen4j.model;

import dev.qwen4j.tensor.Kernels;

/**
 * The first half of a decoder layer, the part that mixes information across positions: (gated) self-attention or
 * Gated DeltaNet. Reads the normalised input {@code a.x}, writes {@code a.y}, and advances its slot of the state.
 */
interface TokenMixer {
    void forward(Kernels kernels, Activations a, DecoderState state, int start, int tokens);
}
