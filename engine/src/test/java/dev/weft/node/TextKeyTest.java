package dev.weft.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

/** What exact dedup counts as the same text. */
class TextKeyTest {
    @Test
    void caseSpacesAndPunctuationDoNotCountSymbolsAndMarksDo() {
        assertEquals("hello world", TextKey.of("  Hello,\u00a0 World!\n"));
        assertEquals(TextKey.of("Why do rivers meander?"), TextKey.of("why do rivers — meander"));
        assertEquals(TextKey.of("ﬁne"), TextKey.of("fine"), "NFKC: the ligature is f and i");
        assertEquals(TextKey.of("zero\u200bwidth"), TextKey.of("zerowidth"), "invisible characters are not there");
        assertNotEquals(TextKey.of("What is C++?"), TextKey.of("What is C?"));
        assertNotEquals(TextKey.of("It costs $5"), TextKey.of("It costs 5"));
        assertEquals("किताब पढ़ो", TextKey.of("किताब, पढ़ो!"), "combining vowel signs stay with their letters");
        assertEquals("", TextKey.of(" ?! "));
    }
}
