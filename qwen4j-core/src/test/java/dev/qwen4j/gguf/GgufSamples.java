package dev.qwen4j.gguf;

import dev.qwen4j.tensor.GgmlType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HexFormat;

/** Small valid GGUF files for tests: the spec's 352-byte fixture and writer-made files covering every value type. */
final class GgufSamples {
    private GgufSamples() {
    }

    /** QWEN_SPEC.md §1.1.5, as produced by ggml's own writer. */
    static final String SPEC_FIXTURE_HEX = ""
            + "4747554603000000020000000000000004000000000000001400000000000000"
            + "67656e6572616c2e617263686974656374757265080000000500000000000000"
            + "7177656e3311000000000000007177656e332e626c6f636b5f636f756e740400"
            + "00000100000014000000000000007177656e332e726f70652e667265715f6261"
            + "736506000000002474491500000000000000746f6b656e697a65722e67676d6c"
            + "2e746f6b656e7309000000080000000200000000000000010000000000000061"
            + "0100000000000000620100000000000000770200000002000000000000000300"
            + "0000000000000000000000000000000000000100000000000000620100000003"
            + "0000000000000001000000200000000000000000000000000000000000000000"
            + "0000803f0000004000004040000080400000a0400000c0400000000000000000"
            + "003c00c000380000000000000000000000000000000000000000000000000000";

    static byte[] specFixture() {
        return HexFormat.of().parseHex(SPEC_FIXTURE_HEX);
    }

    /** One key of every scalar type, one array of every element type (and an empty one), and tensors of several types. */
    static GgufWriter allTypesWriter() {
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", "qwen3");
        w.putString("general.name", "all-types \u00e9\u4f60\ud83d\ude00");
        w.put("t.uint8", GgufValue.of(GgufValueType.UINT8, (short) 255));
        w.put("t.int8", GgufValue.of(GgufValueType.INT8, (byte) -128));
        w.put("t.uint16", GgufValue.of(GgufValueType.UINT16, 65535));
        w.put("t.int16", GgufValue.of(GgufValueType.INT16, (short) -32768));
        w.put("t.uint32", GgufValue.of(GgufValueType.UINT32, 0xFFFF_FFFFL));
        w.put("t.int32", GgufValue.of(GgufValueType.INT32, Integer.MIN_VALUE));
        w.put("t.float32", GgufValue.of(GgufValueType.FLOAT32, -1.5e-7f));
        w.put("t.bool", GgufValue.of(GgufValueType.BOOL, true));
        w.put("t.string", GgufValue.of(GgufValueType.STRING, ""));
        w.put("t.uint64", GgufValue.of(GgufValueType.UINT64, -1L));
        w.put("t.int64", GgufValue.of(GgufValueType.INT64, Long.MIN_VALUE));
        w.put("t.float64", GgufValue.of(GgufValueType.FLOAT64, Math.PI));
        w.put("a.uint8", GgufValue.array(GgufValueType.UINT8, new byte[]{0, 1, (byte) 255}));
        w.put("a.int8", GgufValue.array(GgufValueType.INT8, new byte[]{-128, 0, 127}));
        w.put("a.uint16", GgufValue.array(GgufValueType.UINT16, new short[]{0, (short) 65535}));
        w.put("a.int16", GgufValue.array(GgufValueType.INT16, new short[]{-32768, 32767}));
        w.put("a.uint32", GgufValue.array(GgufValueType.UINT32, new long[]{0, 0xFFFF_FFFFL}));
        w.put("a.int32", GgufValue.array(GgufValueType.INT32, new int[]{Integer.MIN_VALUE, -1, Integer.MAX_VALUE}));
        w.put("a.float32", GgufValue.array(GgufValueType.FLOAT32, new float[]{1f, Float.NaN, Float.NEGATIVE_INFINITY}));
        w.put("a.bool", GgufValue.array(GgufValueType.BOOL, new boolean[]{true, false, true}));
        w.put("a.string", GgufValue.array(GgufValueType.STRING, new String[]{"a", "", "\u0120world", "\u4f60\u597d"}));
        w.put("a.uint64", GgufValue.array(GgufValueType.UINT64, new long[]{0, -1}));
        w.put("a.int64", GgufValue.array(GgufValueType.INT64, new long[]{Long.MIN_VALUE, Long.MAX_VALUE}));
        w.put("a.float64", GgufValue.array(GgufValueType.FLOAT64, new double[]{0.1, -0.0}));
        w.put("a.empty", GgufValue.array(GgufValueType.INT32, new int[0]));
        w.addF32("f32", new long[]{3, 2}, new float[]{1, 2, 3, 4, 5, 6});
        w.addTensor("f16", GgmlType.F16, new long[]{4}, new byte[]{0, 0x3c, 0, (byte) 0xc0, 0, 0x38, 0, 0});
        w.addTensor("q8_0", GgmlType.Q8_0, new long[]{32, 2}, pattern(2 * 34, 7));
        w.addTensor("q4_k", GgmlType.Q4_K, new long[]{256, 1, 1, 2}, pattern(2 * 144, 11));
        w.addTensor("empty", GgmlType.F32, new long[]{0, 5}, new byte[0]);
        return w;
    }

    static byte[] allTypes() {
        return bytes(allTypesWriter());
    }

    /** Every quantized type qwen4j knows, one small tensor each, for the inspect tensor table. */
    static GgufWriter kQuantWriter() {
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", "qwen3");
        w.putString("general.name", "k-quants");
        w.putUInt32("qwen3.block_count", 1);
        w.putUInt32("qwen3.embedding_length", 256);
        int seed = 1;
        for (GgmlType t : new GgmlType[]{GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q8_0}) {
            w.addTensor("blk.0." + t.name().toLowerCase() + ".weight", t, new long[]{256, 2}, pattern((int) t.rowBytes(256) * 2, seed++));
        }
        w.addF32("output_norm.weight", new long[]{4}, new float[]{1, 1, 1, 1});
        return w;
    }

    static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 31 + seed * 7);
        return b;
    }

    static byte[] bytes(GgufWriter w) {
        try {
            return w.toBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
