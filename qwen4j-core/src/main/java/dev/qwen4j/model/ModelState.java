package dev.qwen4j.model;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Per-sequence inference state: the KV cache of attention layers and, in Qwen3.5, the conv and recurrent
 * state of the Gated DeltaNet layers. Not thread-safe: one session uses one state at a time.
 */
public interface ModelState {

    /** Number of tokens already processed (the position of the next token). */
    int position();

    /** The most positions this state can hold. */
    int capacity();

    /**
     * A cheap checkpoint of the state at the current position: the position plus a copy of any recurrent state
     * (attention KV is not copied — it is append-only and stays valid for every earlier position).
     */
    Checkpoint checkpoint();

    /**
     * Rewinds to a checkpoint taken earlier on this state. Valid while the tokens before the checkpoint's position
     * have not been replaced, i.e. the state has only advanced (or been rewound to a later checkpoint) since.
     */
    void restore(Checkpoint checkpoint);

    /** Whether {@link #truncate} accepts any earlier position: true when no layer keeps recurrent state. */
    boolean canTruncate();

    /**
     * Rewinds to {@code position}, which must not be below {@link #truncateFloor()}; throws
     * UnsupportedOperationException if it is.
     */
    void truncate(int position);

    /**
     * Asks later forward passes of up to {@code tokens} tokens (a pending token and its drafts) to keep their trail:
     * the recurrent state after each of their tokens, so that such a pass can be taken back to any of its tokens by
     * {@link #truncate} without a checkpoint or a second pass. 0 turns it off. Returns whether passes of that size
     * can then be taken back that way: always when {@link #canTruncate()}; on Qwen3.5 for passes of up to 8 tokens
     * (each token but the last keeps a copy of the recurrent state), longer ones need a checkpoint.
     */
    default boolean keepTrail(int tokens) {
        return canTruncate();
    }

    /**
     * The lowest position {@link #truncate} accepts now: 0 when {@link #canTruncate()}; else one past the first token
     * of the latest pass if it kept its trail, otherwise the current position.
     */
    default int truncateFloor() {
        return canTruncate() ? 0 : position();
    }

    /** Back to position 0. */
    void reset();

    /** Bytes of memory held (KV + recurrent state + scratch). */
    long byteSize();

    /** Serialises the full state (positions 0..position) so a session can be saved to a file. */
    void writeTo(DataOutput out) throws IOException;

    /** Reads what {@link #writeTo} wrote, replacing this state's content; a clear IOException if it does not fit. */
    void readFrom(DataInput in) throws IOException;

    /** An opaque snapshot taken by {@link #checkpoint()}. */
    interface Checkpoint {
        int position();

        long byteSize();
    }
}
