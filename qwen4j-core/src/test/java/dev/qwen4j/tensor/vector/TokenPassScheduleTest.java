package dev.qwen4j.tensor.vector;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Q8_0 prompt product's passes of 6 and 5 tokens ({@code PackedQ8.multiplyTokens}): they cover a batch of 20
 * tokens or more with no unused slot, and never with fewer slots than tokens. (Whether the products are right for
 * such batches is {@code VectorParityTest}'s.)
 */
class TokenPassScheduleTest {

    @Test
    void passesOfSixAndFiveCoverEveryBatchExactlyFromTwentyTokens() {
        for (int batch = 1; batch <= 4096; batch++) {
            int passes = PackedQ8.passes(batch);
            int narrow = PackedQ8.narrowPasses(batch);
            assertTrue(narrow >= 0 && narrow <= passes, "batch " + batch + ": " + narrow + " of " + passes);
            int slots = 6 * (passes - narrow) + 5 * narrow;
            assertTrue(slots >= batch, "batch " + batch + ": " + slots + " slots");
            if (batch >= 20) assertEquals(batch, slots, "batch " + batch);
        }
        // The prompt chunk of quantized weights: 18 passes of 6 and 4 of 5.
        assertEquals(22, PackedQ8.passes(128));
        assertEquals(4, PackedQ8.narrowPasses(128));
    }
}
