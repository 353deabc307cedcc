package dev.qwen4j.model;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The state of one sequence: a KV cache per attention layer, a conv + recurrent state per Gated DeltaNet layer,
 * and the scratch buffers of a forward pass. A checkpoint copies only the recurrent part: the KV caches are
 * append-only, so entries before a checkpoint's position stay valid.
 */
final class DecoderState implements ModelState {
    private static final int MAGIC = 0x51344A53; // "Q4JS"
    private static final int FORMAT_VERSION = 1;
    /**
     * The longest pass a trail covers: each token but the last keeps a copy of every DeltaNet state (18 MB on
     * Qwen3.5-0.8B, 48 MB on 9B), so longer drafts fall back to a checkpoint.
     */
    static final int MAX_TRAIL = 8;

    final Decoder model;
    final Activations activations;
    /** The draft head's part, once {@link Decoder#enableDraftHead} turned it on; null otherwise. */
    DraftState draft;
    private final KvCache[] caches;
    private final GatedDeltaNet.State[] deltaNets;
    private final DeltaNetConfig deltaNetConfig;
    private final int capacity;
    private int position;
    /** One per DeltaNet layer while trails are kept ({@link #keepTrail}); empty otherwise. */
    private GatedDeltaNet.Trail[] trails = new GatedDeltaNet.Trail[0];
    /** The latest pass recorded in the trails: its first position and tokens (0: none, or no longer valid). */
    private int trailStart, trailTokens;
    private boolean recording;

    private final LoadOptions.KvCacheType kvType;
    private final int kvDim;
    private final Activations.Sizes sizes;

    DecoderState(Decoder model, Decoder.StateLayout layout, LoadOptions.KvCacheType kvType, int capacity) {
        this.model = model;
        this.kvType = kvType;
        this.kvDim = layout.kvDim();
        this.sizes = layout.sizes();
        this.capacity = capacity;
        this.caches = new KvCache[layout.attentionLayers()];
        for (int i = 0; i < caches.length; i++) caches[i] = KvCache.create(kvType, layout.kvDim(), capacity);
        this.deltaNets = new GatedDeltaNet.State[layout.deltaNetLayers()];
        for (int i = 0; i < deltaNets.length; i++) deltaNets[i] = new GatedDeltaNet.State(layout.deltaNet());
        this.deltaNetConfig = layout.deltaNet();
        this.activations = new Activations(layout.sizes(), Math.min(model.chunk(), capacity), capacity);
    }

    KvCache kvCache(int slot) {
        return slot < caches.length ? caches[slot] : draft.cache;    // the slot after the model's: the draft head's
    }

    /**
     * What the draft head (Qwen3.5 MTP, {@link DraftHead}) keeps per sequence: its KV cache, each entry's position
     * in the sequence (entry i was made from the final hidden state at {@code positions[i]} and the token after it),
     * the final-normalised rows of the latest chunk, and its own scratch buffers.
     */
    static final class DraftState {
        final KvCache cache;
        final Activations activations;
        final int hidden;
        final float[] rows;
        final float[] pairs;
        int[] positions = new int[64];
        int count;
        int rowsStart;
        int rowsCount;
        float[] logits;

        DraftState(KvCache cache, Activations activations, int hidden) {
            this.cache = cache;
            this.activations = activations;
            this.hidden = hidden;
            this.rows = new float[activations.chunk * hidden];
            this.pairs = new float[activations.chunk * 2 * hidden];
        }

        void ensure(int entries) {
            if (positions.length < entries) positions = java.util.Arrays.copyOf(positions, Math.max(entries, 2 * positions.length));
        }

        /** Whether the saved rows hold the final hidden state at {@code position}. */
        boolean hasRow(int position) {
            return position >= rowsStart && position < rowsStart + rowsCount;
        }

        /** Whether the head has an entry made from {@code position} (entries are in increasing position order). */
        boolean covers(int position) {
            return count > 0 && positions[count - 1] >= position;
        }

        /** Forgets the entries made from {@code position} on (their next token was taken back or is being replaced). */
        void dropFrom(int position) {
            while (count > 0 && positions[count - 1] >= position) count--;
        }

        /** A copy of the saved row at {@code position}, or null. */
        float[] row(int position) {
            if (!hasRow(position)) return null;
            return java.util.Arrays.copyOfRange(rows, (position - rowsStart) * hidden, (position - rowsStart + 1) * hidden);
        }

        /** Makes {@code row} the only saved row, at {@code position}. */
        void setRow(int position, float[] row) {
            System.arraycopy(row, 0, rows, 0, row.length);
            rowsStart = position;
            rowsCount = 1;
        }

        /** After the sequence was cut to {@code length} tokens: entries need their next token kept, rows their own. */
        void cut(int length) {
            dropFrom(length - 1);
            if (rowsStart + rowsCount > length) rowsCount = Math.max(0, length - rowsStart);
        }
    }

    /** Turns on the draft head's state (idempotent); it starts with whatever this state feeds from now on. */
    void enableDraft(int hidden) {
        if (draft != null) return;
        draft = new DraftState(KvCache.create(kvType, kvDim, capacity), new Activations(sizes, activations.chunk, capacity), hidden);
    }

    GatedDeltaNet.State deltaNet(int slot) {
        return deltaNets[slot];
    }

    void advance(int n) {
        position += n;
    }

    /** Called before a forward pass of {@code tokens}: records the pass in the trails if they are kept and it fits. */
    void beginPass(int tokens) {
        recording = trails.length > 0 && tokens <= trails[0].capacity && tokens <= activations.chunk;
        trailStart = position;
        trailTokens = recording ? tokens : 0;
    }

    void endPass() {
        recording = false;
    }

    /** DeltaNet layer {@code slot}'s trail if the current pass is recorded, else null. */
    GatedDeltaNet.Trail trail(int slot) {
        return recording ? trails[slot] : null;
    }

    @Override
    public boolean keepTrail(int tokens) {
        if (tokens < 0) throw new IllegalArgumentException("trail length must be ≥ 0, got " + tokens);
        if (canTruncate()) return true;
        int kept = tokens <= Math.min(activations.chunk, MAX_TRAIL) ? tokens : 0;     // too long: none, checkpoints instead
        if (kept != (trails.length == 0 ? 0 : trails[0].capacity)) {
            trails = new GatedDeltaNet.Trail[kept == 0 ? 0 : deltaNets.length];
            for (int i = 0; i < trails.length; i++) trails[i] = new GatedDeltaNet.Trail(deltaNetConfig, kept);
            trailTokens = 0;
        }
        return tokens > 0 && tokens <= kept;
    }

    @Override
    public int truncateFloor() {
        if (canTruncate()) return 0;
        return trailTokens > 0 ? trailStart + 1 : position;
    }

    @Override
    public int position() {
        return position;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    /** {@code draftRow}: the draft head's saved final hidden state at position − 1, if it had one (else null). */
    private record Snapshot(DecoderState owner, int position, float[][] conv, float[][] recurrent, float[] draftRow) implements Checkpoint {
        @Override
        public long byteSize() {
            long n = 0;
            for (float[] a : conv) n += 4L * a.length;
            for (float[] a : recurrent) n += 4L * a.length;
            return draftRow == null ? n : n + 4L * draftRow.length;
        }
    }

    @Override
    public Checkpoint checkpoint() {
        float[][] conv = new float[deltaNets.length][];
        float[][] recurrent = new float[deltaNets.length][];
        for (int i = 0; i < deltaNets.length; i++) {
            conv[i] = deltaNets[i].conv.clone();
            recurrent[i] = deltaNets[i].recurrent.clone();
        }
        return new Snapshot(this, position, conv, recurrent, draft == null ? null : draft.row(position - 1));
    }

    @Override
    public void restore(Checkpoint checkpoint) {
        if (!(checkpoint instanceof Snapshot s) || s.owner != this) {
            throw new IllegalArgumentException("this checkpoint was not taken on this state");
        }
        for (int i = 0; i < deltaNets.length; i++) {
            System.arraycopy(s.conv[i], 0, deltaNets[i].conv, 0, s.conv[i].length);
            System.arraycopy(s.recurrent[i], 0, deltaNets[i].recurrent, 0, s.recurrent[i].length);
        }
        position = s.position;
        trailTokens = 0;
        if (draft != null) {
            draft.cut(position);
            if (s.draftRow != null && !draft.hasRow(position - 1)) draft.setRow(position - 1, s.draftRow);
        }
    }

    @Override
    public boolean canTruncate() {
        return deltaNets.length == 0;
    }

    @Override
    public void truncate(int newPosition) {
        if (newPosition < 0 || newPosition > position) {
            throw new IllegalArgumentException("cannot truncate to " + newPosition + ": state holds " + position + " positions");
        }
        if (!canTruncate()) {
            if (newPosition < truncateFloor()) {
                throw new UnsupportedOperationException("recurrent (Gated DeltaNet) state cannot be rewound to " + newPosition
                        + " without a checkpoint: the latest pass's trail reaches back to " + truncateFloor());
            }
            if (newPosition < position) {
                for (int i = 0; i < deltaNets.length; i++) trails[i].rewind(deltaNets[i], newPosition - trailStart - 1, trailTokens);
            }
            trailTokens = 0;
        }
        position = newPosition;
        if (draft != null) draft.cut(position);
    }

    @Override
    public void reset() {
        position = 0;
        trailTokens = 0;
        if (draft != null) draft.cut(0);
        for (GatedDeltaNet.State d : deltaNets) d.clear();
    }

    @Override
    public long byteSize() {
        long n = activations.byteSize();
        for (KvCache c : caches) n += c.byteSize();
        for (GatedDeltaNet.State d : deltaNets) n += 4L * (d.conv.length + d.recurrent.length);
        for (GatedDeltaNet.Trail t : trails) n += t.byteSize();
        if (draft != null) {
            n += draft.cache.byteSize() + draft.activations.byteSize() + 4L * (draft.rows.length + draft.pairs.length + draft.positions.length);
        }
        return n;
    }

    @Override
    public void writeTo(DataOutput out) throws IOException {
        out.writeInt(MAGIC);
        out.writeInt(FORMAT_VERSION);
        out.writeUTF(model.architecture());
        out.writeInt(caches.length);
        out.writeInt(deltaNets.length);
        out.writeInt(position);
        for (KvCache c : caches) {
            out.writeInt(c.kvDim());
            out.writeUTF(c.type().name());
            c.writeTo(out, position);
        }
        for (GatedDeltaNet.State d : deltaNets) {
            out.writeInt(d.conv.length);
            writeFloats(out, d.convPerChannel(), d.conv.length);
            out.writeInt(d.recurrent.length);
            writeFloats(out, d.recurrent, d.recurrent.length);
        }
    }

    @Override
    public void readFrom(DataInput in) throws IOException {
        if (in.readInt() != MAGIC) throw new IOException("not a saved qwen4j model state");
        int version = in.readInt();
        if (version != FORMAT_VERSION) throw new IOException("saved state has format version " + version + ", expected " + FORMAT_VERSION);
        String arch = in.readUTF();
        expect(arch.equals(model.architecture()), "saved state is for a " + arch + " model, this model is " + model.architecture());
        int nCaches = in.readInt();
        int nDeltaNets = in.readInt();
        expect(nCaches == caches.length && nDeltaNets == deltaNets.length, "saved state has " + nCaches + " attention and " + nDeltaNets
                + " DeltaNet layers, this model has " + caches.length + " and " + deltaNets.length);
        int pos = in.readInt();
        expect(pos >= 0 && pos <= capacity, "saved state holds " + pos + " positions, this state's capacity is " + capacity);
        reset();
        for (KvCache c : caches) {
            int kvDim = in.readInt();
            expect(kvDim == c.kvDim(), "saved KV width " + kvDim + " does not match the model's " + c.kvDim());
            String type = in.readUTF();
            expect(type.equals(c.type().name()), "saved KV cache is " + type + ", this state's is " + c.type());
            c.readFrom(in, pos);
        }
        for (GatedDeltaNet.State d : deltaNets) {
            expect(in.readInt() == d.conv.length, "saved conv state size does not match the model");
            float[] conv = new float[d.conv.length];
            readFloats(in, conv, conv.length);
            d.setConvPerChannel(conv);
            expect(in.readInt() == d.recurrent.length, "saved recurrent state size does not match the model");
            readFloats(in, d.recurrent, d.recurrent.length);
        }
        position = pos;
    }

    private static void expect(boolean ok, String message) throws IOException {
        if (!ok) throw new IOException(message);
    }

    private static void writeFloats(DataOutput out, float[] a, int n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; ) {
            buf.clear();
            int m = Math.min(n - i, buf.capacity() / 4);
            buf.asFloatBuffer().put(a, i, m);
            out.write(buf.array(), 0, 4 * m);
            i += m;
        }
    }

    private static void readFloats(DataInput in, float[] a, int n) throws IOException {
        byte[] bytes = new byte[1 << 16];
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; ) {
            int m = Math.min(n - i, bytes.length / 4);
            in.readFully(bytes, 0, 4 * m);
            buf.clear();
            buf.asFloatBuffer().get(a, i, m);
            i += m;
        }
    }
}
