package dev.qwen4j.tensor.quant;

import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every dequantizer reproduces ggml's own dequantizer bit for bit on fixtures/quant (512 values per type). */
class DequantizeFixturesTest {

    /** A fixture file: the raw blocks and ggml's 512 decoded floats. */
    record Fixture(MemorySegment blocks, float[] expected) {
        static Fixture load(GgmlType type) throws IOException {
            String name = "q_" + (type.name().startsWith("Q") && type.name().endsWith("_K")
                    ? type.name().toLowerCase(Locale.ROOT).replace("_k", "_K") : type.name().toLowerCase(Locale.ROOT)) + ".bin";
            MemorySegment file = MemorySegment.ofArray(Files.readAllBytes(Fixtures.quant(name)));
            var le = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            int bytes = Math.toIntExact(file.get(le, 0));
            float[] expected = new float[512];
            MemorySegment.copy(file, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8 + bytes,
                    expected, 0, 512);
            assertEquals(8 + bytes + 4 * 512, file.byteSize(), name + " size");
            return new Fixture(file.asSlice(8, bytes), expected);
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K",
            "IQ4_NL", "IQ4_XS"})
    void dequantizationMatchesGgmlBitForBit(GgmlType type) throws IOException {
        Fixture f = Fixture.load(type);
        assertEquals(type.rowBytes(512), f.blocks().byteSize());
        float[] got = new float[512];
        RowCodec.dequantize(type, f.blocks(), 0, got, 0, 512);
        for (int i = 0; i < 512; i++) {
            assertEquals(Float.floatToRawIntBits(f.expected()[i]), Float.floatToRawIntBits(got[i]),
                    type + " element " + i + ": expected " + f.expected()[i] + ", got " + got[i]);
        }
    }

    /**
     * ggml's own dequantized values sit exactly on a grid our quantizers choose again: re-quantizing them gives
     * back ggml's bytes (for K-quants this exercises the whole scale search and 6-bit scale packing).
     */
    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q8_0", "Q4_K", "Q6_K"})
    void requantizingGgmlOutputReproducesGgmlBytes(GgmlType type) throws IOException {
        Fixture f = Fixture.load(type);
        byte[] again = RowCodec.quantize(type, f.expected(), 512, 1);
        byte[] original = f.blocks().toArray(ValueLayout.JAVA_BYTE);
        org.junit.jupiter.api.Assertions.assertArrayEquals(original, again, type.name());
    }
}
