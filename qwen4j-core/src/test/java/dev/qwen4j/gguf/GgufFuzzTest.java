package dev.qwen4j.gguf;

import dev.qwen4j.tensor.Tensor;
import dev.qwen4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Mutation fuzzing of the GGUF reader: randomly corrupted and truncated variants of valid files must either parse —
 * with every tensor view and metadata accessor in bounds — or fail with a {@link GgufFormatException}; never another
 * exception, an out-of-memory error or a hang (more than a second on one file).
 * <p>
 * Seeded and reproducible: every case draws from its own generator, seeded from {@code qwen4j.fuzz.seed} and the
 * case number, so a failure message names the one case to re-run with {@code -Dqwen4j.fuzz.case=N}.
 * {@code -Dqwen4j.fuzz.long=true} runs 25 times as many cases.
 */
class GgufFuzzTest {
    private static final long SEED = Long.getLong("qwen4j.fuzz.seed", 20261129L);
    private static final boolean LONG = Boolean.getBoolean("qwen4j.fuzz.long");
    private static final long ONLY_CASE = Long.getLong("qwen4j.fuzz.case", -1L);
    private static final long HANG_NANOS = 1_000_000_000L;

    private static final long[] INTERESTING_64 = {0, 1, -1, 2, 31, 32, 255, 256, Long.MAX_VALUE, Long.MIN_VALUE,
            1L << 31, (1L << 31) - 1, 1L << 32, (1L << 32) - 1, 1L << 62, 1L << 63 - 1};
    private static final long[] INTERESTING_32 = {0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 14, 15, 16, 30, 31, 32, 33, 0x7F, 0x80,
            0xFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000L, 0xFFFF_FFFFL};
    private static final int[] INTERESTING_8 = {0x00, 0x01, 0x02, 0x7F, 0x80, 0xFE, 0xFF};

    /** A valid file to mutate, with where its length, count and type fields are. */
    record Base(String name, byte[] bytes, long dataStart, int[] u64Fields, int[] u32Fields, int cases) {
        static Base of(String name, byte[] bytes, int cases) throws IOException {
            GgufFile f = GgufFile.parse(bytes);
            List<Integer> u64 = new ArrayList<>(), u32 = new ArrayList<>();
            FieldWalker.walk(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN), u64, u32);
            return new Base(name, bytes, f.dataStart(), u64.stream().mapToInt(Integer::intValue).toArray(),
                    u32.stream().mapToInt(Integer::intValue).toArray(), cases);
        }
    }

    @Test
    void corruptedFilesParseOrFailWithGgufFormatException() throws IOException {
        int scale = LONG ? 25 : 1;
        GgufWriter aligned = GgufSamples.allTypesWriter().putUInt32("general.alignment", 64);
        List<Base> bases = List.of(
                Base.of("spec-fixture", GgufSamples.specFixture(), 4000 * scale),
                Base.of("all-types", GgufSamples.allTypes(), 4000 * scale),
                Base.of("all-types-align64", GgufSamples.bytes(aligned), 2000 * scale),
                Base.of("k-quants", GgufSamples.bytes(GgufSamples.kQuantWriter()), 2500 * scale),
                Base.of("qwen3-micro-Q8_0", Files.readAllBytes(Fixtures.model("qwen3-micro-Q8_0.gguf")), 4000 * scale),
                Base.of("qwen35-micro-Q8_0", Files.readAllBytes(Fixtures.model("qwen35-micro-Q8_0.gguf")), 3500 * scale));

        long caseNo = 0, parsed = 0, rejected = 0, slowest = 0;
        String slowestCase = "";
        long start = System.nanoTime();
        StringBuilder perBase = new StringBuilder();
        for (Base base : bases) {
            long baseStart = System.nanoTime();
            for (int i = 0; i < base.cases; i++, caseNo++) {
                if (ONLY_CASE >= 0 && caseNo != ONLY_CASE) continue;
                SplittableRandom rnd = new SplittableRandom(SEED * 1_000_003L + caseNo);
                List<String> ops = new ArrayList<>();
                byte[] mutant = mutate(base, rnd, ops);
                String what = "seed " + SEED + " case " + caseNo + " (" + base.name + ", " + mutant.length + " bytes, " + ops
                        + "); re-run with -Dqwen4j.fuzz.seed=" + SEED + " -Dqwen4j.fuzz.case=" + caseNo;
                long dt = check(mutant, what);
                if (dt > HANG_NANOS) {
                    // Two shared cores and other builds: retry once so a stall of the machine is not taken for a hang.
                    long again = check(mutant, what);
                    if (again > HANG_NANOS) fail(what + ": took " + dt / 1_000_000 + " ms, then " + again / 1_000_000 + " ms");
                    dt = again;
                }
                if (dt > slowest) {
                    slowest = dt;
                    slowestCase = what;
                }
                if (lastOutcome) parsed++;
                else rejected++;
            }
            perBase.append(perBase.isEmpty() ? "" : ", ").append(base.name).append(String.format(" %.1f s", (System.nanoTime() - baseStart) / 1e9));
        }
        System.out.printf("GGUF fuzz: seed %d, %d cases, %d parsed, %d rejected, total %.1f s (%s); slowest %.2f ms: %s%n", SEED, caseNo,
                parsed, rejected, (System.nanoTime() - start) / 1e9, perBase, slowest / 1e6, slowestCase);
        if (ONLY_CASE < 0) {
            assertTrue(caseNo >= 20_000, "cases: " + caseNo);
            assertTrue(rejected > caseNo / 4, "most mutants should be rejected: " + rejected);
            assertTrue(parsed > caseNo / 20, "some mutants should still parse: " + parsed);
        }
    }

    private boolean lastOutcome;

    /** Parses one mutant; returns the nanoseconds it took and sets {@link #lastOutcome} to whether it parsed. */
    private long check(byte[] mutant, String what) {
        long t0 = System.nanoTime();
        try {
            GgufFile f = GgufFile.parse(mutant);
            touchEverything(f, mutant.length < (64 << 10)); // re-writing the micro models too would triple the run time
            lastOutcome = true;
        } catch (GgufFormatException e) {
            if (e.offset() < -1 || e.offset() > mutant.length) fail(what + ": offset " + e.offset() + " outside the file: " + e.getMessage());
            if (e.getMessage().isBlank() || e.getMessage().contains("\n")) fail(what + ": message not one line: " + e.getMessage());
            lastOutcome = false;
        } catch (Throwable t) {
            throw new AssertionError(what + ": " + t, t);
        }
        return System.nanoTime() - t0;
    }

    // ---- mutations ----

    private static byte[] mutate(Base base, SplittableRandom rnd, List<String> ops) {
        byte[] b = base.bytes.clone();
        int n = 1 + (rnd.nextInt(4) == 0 ? rnd.nextInt(4) : 0);
        for (int k = 0; k < n && b.length > 0; k++) {
            int op = rnd.nextInt(8);
            switch (op) {
                case 0 -> {
                    int p = position(base, b, rnd), bit = rnd.nextInt(8);
                    b[p] ^= (byte) (1 << bit);
                    ops.add("flip " + p + ":" + bit);
                }
                case 1 -> {
                    int p = position(base, b, rnd), v = INTERESTING_8[rnd.nextInt(INTERESTING_8.length)];
                    b[p] = (byte) v;
                    ops.add("byte " + p + "=" + v);
                }
                case 2 -> {
                    if (base.u64Fields.length == 0) break;
                    int p = base.u64Fields[rnd.nextInt(base.u64Fields.length)];
                    if (p + 8 > b.length) break;
                    long old = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(p);
                    long v = switch (rnd.nextInt(6)) {
                        case 0 -> old + 1;
                        case 1 -> old - 1;
                        case 2 -> old * 2 + rnd.nextInt(64);
                        case 3 -> old + (1L << 32);
                        case 4 -> b.length - p + rnd.nextInt(16) - 8;
                        default -> INTERESTING_64[rnd.nextInt(INTERESTING_64.length)];
                    };
                    putLong(b, p, v);
                    ops.add("u64@" + p + " " + old + "->" + v);
                }
                case 3 -> {
                    if (base.u32Fields.length == 0) break;
                    int p = base.u32Fields[rnd.nextInt(base.u32Fields.length)];
                    if (p + 4 > b.length) break;
                    long v = rnd.nextBoolean() ? INTERESTING_32[rnd.nextInt(INTERESTING_32.length)] : rnd.nextInt(40);
                    putInt(b, p, (int) v);
                    ops.add("u32@" + p + "=" + v);
                }
                case 4 -> {
                    int p = position(base, b, rnd);
                    if (rnd.nextBoolean() && p + 8 <= b.length) {
                        long v = INTERESTING_64[rnd.nextInt(INTERESTING_64.length)];
                        putLong(b, p, v);
                        ops.add("word64@" + p + "=" + v);
                    } else if (p + 4 <= b.length) {
                        long v = INTERESTING_32[rnd.nextInt(INTERESTING_32.length)];
                        putInt(b, p, (int) v);
                        ops.add("word32@" + p + "=" + v);
                    }
                }
                case 5 -> {
                    int len = position(base, b, rnd);
                    b = Arrays.copyOf(b, len);
                    ops.add("truncate " + len);
                }
                case 6 -> {
                    int from = position(base, b, rnd), len = 1 + rnd.nextInt(rnd.nextBoolean() ? 8 : 64);
                    len = Math.min(len, b.length - from);
                    int at = position(base, b, rnd);
                    byte[] out = new byte[b.length + len];
                    System.arraycopy(b, 0, out, 0, at);
                    System.arraycopy(b, from, out, at, len);
                    System.arraycopy(b, at, out, at + len, b.length - at);
                    b = out;
                    ops.add("duplicate " + from + "+" + len + " at " + at);
                }
                default -> {
                    if (rnd.nextBoolean()) {
                        int from = position(base, b, rnd), len = Math.min(1 + rnd.nextInt(16), b.length - from);
                        byte[] out = new byte[b.length - len];
                        System.arraycopy(b, 0, out, 0, from);
                        System.arraycopy(b, from + len, out, from, b.length - from - len);
                        b = out;
                        ops.add("delete " + from + "+" + len);
                    } else {
                        int from = position(base, b, rnd), len = Math.min(1 + rnd.nextInt(16), b.length - from);
                        for (int i = 0; i < len; i++) b[from + i] = (byte) rnd.nextInt(256);
                        ops.add("random " + from + "+" + len);
                    }
                }
            }
        }
        return b;
    }

    /** Mostly inside the header (metadata and tensor infos), where the structure is; sometimes anywhere. */
    private static int position(Base base, byte[] b, SplittableRandom rnd) {
        int header = (int) Math.min(b.length, base.dataStart + 32);
        if (b.length == 0) return 0;
        return rnd.nextInt(10) < 9 && header > 0 ? rnd.nextInt(header) : rnd.nextInt(b.length);
    }

    private static void putLong(byte[] b, int p, long v) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(p, v);
    }

    private static void putInt(byte[] b, int p, int v) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(p, v);
    }

    // ---- what a successful parse must guarantee ----

    private static void touchEverything(GgufFile f, boolean rewrite) throws IOException {
        assertTrue(f.dataStart() <= f.fileSize() || f.tensors().isEmpty());
        assertTrue(f.alignment() > 0 && Integer.bitCount(f.alignment()) == 1);
        for (Tensor t : f.tensors()) {
            MemorySegment data = t.data();
            long n = data.byteSize();
            assertEquals(t.byteSize(), n, t.name());
            assertEquals(t.elementCount(), (long) t.rowLength() * t.rows(), t.name());
            t.shapeString();
            if (n > 0) {
                data.get(ValueLayout.JAVA_BYTE, 0);
                data.get(ValueLayout.JAVA_BYTE, n - 1);
            }
            long at = f.fileOffset(t);
            assertTrue(at >= f.dataStart() && at + n <= f.fileSize(), t.name() + " at " + at);
            assertEquals(0, (at - f.dataStart()) % f.alignment(), t.name());
            assertEquals(t, f.tensor(t.name()));
        }
        for (Map.Entry<String, GgufValue> e : f.metadata().entrySet()) {
            String key = e.getKey();
            GgufValue v = e.getValue();
            assertTrue(!key.isEmpty());
            v.summary();
            assertEquals(v, v);
            if (v.isArray()) {
                int len = v.arrayLength();
                switch (v.elementType()) {
                    case STRING -> assertEquals(len, f.getStringArray(key).length);
                    case UINT8, INT8, UINT16, INT16, INT32 -> assertEquals(len, f.getIntArray(key).length);
                    case FLOAT32, FLOAT64 -> assertEquals(len, f.getFloatArray(key).length);
                    default -> {
                    }
                }
            } else {
                switch (v.value()) {
                    case String s -> assertEquals(s, f.getString(key));
                    case Boolean b -> assertEquals(b, f.getBoolean(key, !b));
                    case Float x -> f.getFloat(key);
                    case Double x -> f.getDouble(key, 0);
                    default -> f.getDouble(key, f.getLong(key));
                }
            }
        }
        if (!(f.metadata().get("general.architecture") instanceof GgufValue a) || a.value() instanceof String) f.architecture();
        if (rewrite && f.alignment() <= 4096) {
            // A file that parses is also one the writer can reproduce.
            GgufFile again = GgufFile.parse(GgufWriter.copyOf(f).toBytes());
            assertEquals(f.metadata(), again.metadata());
            assertEquals(f.tensors().size(), again.tensors().size());
            for (int i = 0; i < f.tensors().size(); i++) {
                Tensor x = f.tensors().get(i), y = again.tensors().get(i);
                assertEquals(x.name(), y.name());
                assertEquals(-1, x.data().mismatch(y.data()), x.name());
            }
        }
    }

    /** Finds the length, count and type fields of a valid file by walking its structure (independently of GgufFile). */
    static final class FieldWalker {
        static void walk(ByteBuffer b, List<Integer> u64, List<Integer> u32) {
            u32.add(4);
            u64.add(8);
            u64.add(16);
            long tensors = b.getLong(8), kvs = b.getLong(16);
            b.position(24);
            for (long i = 0; i < kvs; i++) {
                string(b, u64);
                u32.add(b.position());
                int type = b.getInt();
                if (type == GgufValueType.ARRAY.id()) {
                    u32.add(b.position());
                    int et = b.getInt();
                    u64.add(b.position());
                    long n = b.getLong();
                    for (long j = 0; j < n; j++) value(b, et, u64);
                } else {
                    value(b, type, u64);
                }
            }
            for (long i = 0; i < tensors; i++) {
                string(b, u64);
                u32.add(b.position());
                int dims = b.getInt();
                for (int d = 0; d < dims; d++) {
                    u64.add(b.position());
                    b.getLong();
                }
                u32.add(b.position());
                b.getInt();
                u64.add(b.position());
                b.getLong();
            }
        }

        private static void string(ByteBuffer b, List<Integer> u64) {
            u64.add(b.position());
            long len = b.getLong();
            b.position(b.position() + (int) len);
        }

        private static void value(ByteBuffer b, int type, List<Integer> u64) {
            if (type == GgufValueType.STRING.id()) {
                string(b, u64);
            } else {
                b.position(b.position() + GgufValueType.fromId(type).size);
            }
        }
    }
}
