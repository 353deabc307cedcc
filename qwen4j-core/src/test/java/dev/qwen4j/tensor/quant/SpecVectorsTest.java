package dev.qwen4j.tensor.quant;

import dev.qwen4j.tensor.GgmlType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The block test vectors of QWEN_SPEC.md §1.5.1 and the scalar values of §1.3. */
class SpecVectorsTest {

    private static float[] decode(GgmlType type, String hex) {
        byte[] bytes = HexFormat.of().parseHex(hex);
        assertEquals(type.typeSize, bytes.length);
        float[] y = new float[type.blockSize];
        RowCodec.dequantize(type, MemorySegment.ofArray(bytes), 0, y, 0, type.blockSize);
        return y;
    }

    /** Checks the listed elements (as printed with 9 significant digits) and the fp32 sum. */
    private static void check(float[] y, double sum, double... indexAndValue) {
        for (int i = 0; i < indexAndValue.length; i += 2) {
            int idx = (int) indexAndValue[i];
            assertEquals((float) indexAndValue[i + 1], y[idx], Math.ulp(y[idx]) * 0.51, "y[" + idx + "]");
        }
        float s = 0;
        for (float v : y) s += v;
        assertEquals(sum, s, Math.abs(sum) * 1e-6, "sum");
    }

    @Test
    void q4_0() {
        check(decode(GgmlType.Q4_0, "92b3f06d09d83788380f90802e1c4dca260e"), 7.80688477,
                0, 1.89257812, 1, -1.18286133, 2, -0.236572266, 15, -1.41943359, 16, -1.65600586, 31, 1.89257812);
    }

    @Test
    void q4_1() {
        check(decode(GgmlType.Q4_1, "023476bf1f93f737c977c7f06f8fd2e4b235d9f2"), 6.94238281,
                0, 1.89208984, 1, -1.11376953, 2, -0.111816406, 15, -1.36425781, 16, -1.61474609, 31, 1.89208984);
    }

    @Test
    void q5_0() {
        check(decode(GgmlType.Q5_0, "92afeebc2923e0da02a07e01611f21005c388a954c0b"), 6.62402344,
                0, 1.89257812, 1, -1.18286133, 2, -0.236572266, 15, -1.30114746, 16, -1.65600586, 31, 1.89257812);
    }

    @Test
    void q5_1() {
        check(decode(GgmlType.Q5_1, "c22f76bf1143d6de2f26fe6f92ff9fe0de0fa4d8757bb3f4"), 6.98120117,
                0, 1.89245605, 1, -1.13793945, 2, -0.168212891, 15, -1.38037109, 16, -1.62280273, 31, 1.89245605);
    }

    @Test
    void q8_0() {
        check(decode(GgmlType.Q8_0, "a1237fb4f2fe13f9f9837a7ba3c0addb21a790187cb24bff4e77f001586b40bb5c7b"), 6.64549255,
                0, 1.89232635, 1, -1.13241577, 2, -0.208602905, 15, -1.32611847, 16, -1.66882324, 31, 1.83272552);
    }

    @Test
    void q4_K() {
        check(decode(GgmlType.Q4_K,
                "ef1e3628e5bfa6aff9f8fffb9877bd534f23470779f707608f2f92045355296211298f936c678c1f17780d8e9b838d4f"
                        + "a3c5680f64292a32ac5a7f06a47750f76aaea6061945982bb1492a31a788b87916145791e5b8e323a24a333005b83590"
                        + "163440c7ef27690620f0d9d90757251307270a66e4b968e090abf32118a6f9e9aa7097e9736d4ac5039904241176cf28"),
                7.48210144, 0, 1.88277054, 1, -1.12359238, 31, 1.88277054, 32, -0.135971069, 63, -0.135971069,
                64, -1.30066681, 127, 0.286708832, 128, 0.399902344, 255, -1.26961517);
    }

    @Test
    void q5_K() {
        check(decode(GgmlType.Q5_K,
                "e41a0128e4bfa5affbfdffffe8e8fc8209084024a1f66480afd5860048b0c1e8c48d8be235405f8508e435330b0acb45"
                        + "8f568e0fe2fe1ed00e4e2417a5bb43c431320e26d8cf192e3def0a1c27070b8e458adf1ec841456448a4ff0b57feb0fd"
                        + "c54c5c0b31892047618143714d0f6ff23d38be32cb61c756448467611b607b203c78908edf5fc21c61e0b2a20ebf5a36"
                        + "0e4f14cdd973c1d03057f652305df3d464013fd4f5cb859b1732084812fd9f40"),
                6.23361969, 0, 1.90930176, 1, -1.11880493, 31, 1.78817749, 32, -0.212371826, 63, -0.212371826,
                64, -1.34822845, 127, 0.401344299, 128, 0.510009766, 255, -1.29412842);
    }

    @Test
    void q6_K() {
        check(decode(GgmlType.Q6_K,
                "b153f3b00b32929f0282c760f4d918b6ac9a81633d300ce214208a05a0f1e95131c6f14d09f0ecba4558c35c1ecd370c"
                        + "e44368017355e5a88650be2540a7787317580af652e696141d7d054273f1d2f04d74d05ae189354dbe7f94a44a0901b7"
                        + "ec7ad876500f6057a35e04539f5f2257d61e8acc0483254a218118893ce64286481b5afa95a2aa8774a877db47568917"
                        + "6ffdd0132456a02cce662c40d193d0a8eeedfa941263a10d447b1dccee532e249dba9bd1a04d59ed2e9221213d69ce1e"
                        + "cbcc80cb3834b0363594cec437b8ce30b314"),
                6.06102848, 0, 1.88496494, 1, -1.15530109, 31, 1.84939957, 32, -0.146850586, 63, -0.182415962,
                64, -1.34918976, 127, 0.433668137, 128, 0.425637245, 255, -1.32165527);
    }

    @Test
    void q2_K() {
        check(decode(GgmlType.Q2_K,
                "a595cfb5f6e6f8c5e5deb5b5e5d7b5c59390613156292144a7637410945542d460f2df1c2a59ae23c169224fde9cdfa7"
                        + "22213668debb6dc189b7d10022abf2f8a18094ed8e7165d110ac1d1d0155f12089324030"),
                0.441894531, 0, 1.73522949, 1, -1.328125, 31, 1.86804199, 32, -1.59375, 63, -0.439819336,
                64, -0.766845703, 127, 0.448486328, 128, 0.182861328, 255, -1.59375);
    }

    @Test
    void q3_K() {
        check(decode(GgmlType.Q3_K,
                "f2e3ffcf185dcf29047e25abf3577a41bffef881c4212cf67b95464068edbc3ea0b600b82f80945fac54fbf6a3c1073f"
                        + "1bfbf4324aec866ccdc85d85f246c550cddfe54d70ab534fcafb2bc8dcca286cbc3946fb20dba7dc1a7216563f07887d"
                        + "e3633012dfed3ccda9095099ad28"),
                10.3013306, 0, 1.89953613, 1, -0.949768066, 31, 1.89953613, 32, -0.0, 63, -0.0, 64, -1.09588623,
                127, 0.474884033, 128, 0.511413574, 255, -1.31506348);
    }

    @Test
    void scalarFormats() {
        assertEquals(1.0f, Float.float16ToFloat((short) 0x3C00));
        assertEquals(-2.0f, Float.float16ToFloat((short) 0xC000));
        assertEquals(65504f, Float.float16ToFloat((short) 0x7BFF));
        assertEquals(5.9604645e-8f, Float.float16ToFloat((short) 0x0001));
        assertEquals(0.33325195f, Float.float16ToFloat((short) 0x3555));
        assertEquals(1.0f, Floats.bf16ToFloat((short) 0x3F80));
        assertEquals(-3.0f, Floats.bf16ToFloat((short) 0xC040));
        assertEquals(3.140625f, Floats.bf16ToFloat((short) 0x4049));
        assertEquals((short) 0x4049, Floats.floatToBf16(3.140625f));
    }
}
