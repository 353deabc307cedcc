package dev.qwen4j.generate;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StreamingTextTest {

    @Test
    void stopStringsHoldBackAPossibleStartAndCutAtTheMatch() {
        StopStrings s = new StopStrings(List.of("END"));
        assertEquals("abc ", s.push("abc E"));
        assertEquals("", s.push("N"));
        assertEquals("", s.push("Dxyz"));
        assertTrue(s.matched());
    }

    @Test
    void heldTextIsReleasedWhenItCannotStartAStopString() {
        StopStrings s = new StopStrings(List.of("END"));
        assertEquals("a", s.push("aE"));
        assertEquals("EX", s.push("X"));
        assertFalse(s.matched());
        assertEquals("", s.push("EN"));
        assertEquals("EN", s.flush());
    }

    @Test
    void theEarliestOfSeveralStopStringsWins() {
        StopStrings s = new StopStrings(List.of("bc", "ab"));
        assertEquals("x", s.push("xabc"));
    }

    @Test
    void utf8CharactersSplitAcrossTokensComeOutWhole() {
        Utf8Stream u = new Utf8Stream();
        assertEquals("a", u.push(new byte[]{'a', (byte) 0xE4}));
        assertEquals("", u.push(new byte[]{(byte) 0xBD}));
        assertEquals("你b", u.push(new byte[]{(byte) 0xA0, 'b'}));
    }

    @Test
    void anUnfinishedCharacterAtTheEndBecomesAReplacementCharacter() {
        Utf8Stream u = new Utf8Stream();
        assertEquals("", u.push(new byte[]{(byte) 0xE4, (byte) 0xBD}));
        assertEquals("\uFFFD", u.flush());
    }

    @Test
    void loopDetectorFiresOnARepeatedBlockButNotOnOrdinaryText() {
        LoopDetector d = new LoopDetector(10, 3, 12);
        int period = 0;
        int[] block = {5, 6, 7, 8};
        int i = 0;
        for (; i < 40 && period == 0; i++) period = d.accept(block[i % 4]);
        assertEquals(4, period);
        assertEquals(12, i, "three copies of a 4-token block = 12 tokens");

        LoopDetector quiet = new LoopDetector(10, 3, 12);
        java.util.SplittableRandom r = new java.util.SplittableRandom(1);
        for (int k = 0; k < 2000; k++) assertEquals(0, quiet.accept(r.nextInt(50)));
    }

    @Test
    void loopDetectorIgnoresShortRuns() {
        LoopDetector d = new LoopDetector(10, 3, 12);
        for (int k = 0; k < 11; k++) assertEquals(0, d.accept(1), "11 equal tokens are below the 12-token minimum");
        assertEquals(1, d.accept(1));
    }
}
