package dev.weft.retrieve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cutting texts into passages: bounded, overlapping at words, preferring paragraphs and headings, with true line numbers. */
class ChunkerTest {
    @TempDir
    Path dir;

    private static List<String> texts(String text, List<Chunker.Piece> pieces) {
        return pieces.stream().map(p -> text.substring(p.start(), p.end())).toList();
    }

    @Test
    void paragraphsArePackedAndCutsFallBetweenThem() {
        String text = "First paragraph about tides.\nIt has two lines.\n\nSecond paragraph about the moon.\n\n\nThird one, about the sun.";
        // 70 characters: the first paragraph, not a line of it; the last two fit together.
        assertEquals(List.of("First paragraph about tides.\nIt has two lines.", "Second paragraph about the moon.\n\n\nThird one, about the sun."),
                texts(text, new Chunker(70, 0).plain(text)));
        // 40: a paragraph too long for a passage is cut at its line break, not inside a line.
        assertEquals(List.of("First paragraph about tides.", "It has two lines.", "Second paragraph about the moon.", "Third one, about the sun."),
                texts(text, new Chunker(40, 0).plain(text)));
        // Windows line ends cut the same way.
        String crlf = text.replace("\n", "\r\n");
        assertEquals(List.of("First paragraph about tides.\r\nIt has two lines.", "Second paragraph about the moon.\r\n\r\n\r\nThird one, about the sun."),
                texts(crlf, new Chunker(76, 0).plain(crlf)));
        // Everything fits: one passage, trimmed.
        String padded = "  \n" + text + "\n\n";
        assertEquals(List.of(text), texts(padded, new Chunker(500, 0).plain(padded)));
    }

    @Test
    void everyPassageFitsStartsAtAWordAndRepeatsTheEndOfTheOneBefore() {
        SplittableRandom random = new SplittableRandom(7);
        String[] words = {"tide", "moon", "gravity", "ocean", "bulge", "coast", "sun,", "range.", "harbour", "water!", "sea?"};
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            sb.append(words[random.nextInt(words.length)]);
            sb.append(random.nextInt(40) == 0 ? "\n\n" : random.nextInt(12) == 0 ? "\n" : " ");
        }
        String text = sb.toString();
        Chunker chunker = new Chunker(300, 60);
        List<Chunker.Piece> pieces = chunker.plain(text);
        assertTrue(pieces.size() > 50, "pieces: " + pieces.size());
        for (int i = 0; i < pieces.size(); i++) {
            Chunker.Piece p = pieces.get(i);
            assertTrue(p.end() - p.start() <= 300, "at most size: " + (p.end() - p.start()));
            assertTrue(p.start() == 0 || Character.isWhitespace(text.charAt(p.start() - 1)), "starts at a word: " + p);
            assertFalse(Character.isWhitespace(text.charAt(p.start())));
            if (i > 0) {
                Chunker.Piece before = pieces.get(i - 1);
                assertTrue(p.start() > before.start(), "progress");
                assertTrue(p.start() <= before.end(), "no gap: every word is in some passage");
                assertTrue(before.end() - p.start() <= 60, "overlap at most 60: " + (before.end() - p.start()));
            }
        }
        assertEquals(text.strip().length(), pieces.get(pieces.size() - 1).end(), "the end of the text is in the last passage");
        // Passages are not tiny: a cut happens only once a quarter of the size is filled (mostly half).
        assertTrue(pieces.subList(0, pieces.size() - 1).stream().allMatch(p -> p.end() - p.start() >= 75));
        assertTrue(pieces.stream().filter(p -> p.end() - p.start() >= 150).count() >= pieces.size() * 9 / 10);
    }

    @Test
    void aWordLongerThanAPassageIsCutAndNothingLoops() {
        String text = "x".repeat(1000);
        List<Chunker.Piece> pieces = new Chunker(100, 50).plain(text);
        assertTrue(pieces.stream().allMatch(p -> p.end() - p.start() <= 100));
        assertEquals(1000, pieces.get(pieces.size() - 1).end());
        assertTrue(pieces.size() <= 20, "each step moves at least half a passage: " + pieces.size());
        assertThrows(IllegalArgumentException.class, () -> new Chunker(100, 100));
    }

    @Test
    void markdownSectionsAreNeverMixedAndKnowTheirHeadings() {
        String md = """
                Intro before any heading.

                # Volcanoes

                About volcanoes.

                ## Lava types

                Pahoehoe is smooth.

                ```
                # not a heading: code
                ```

                ### Deep

                Deeper text.

                ## Hazards

                Lahars are mudflows.
                """;
        List<Chunker.Piece> pieces = new Chunker(2000, 100).markdown(md);
        List<String> texts = texts(md, pieces);
        assertEquals(5, pieces.size(), texts.toString());
        assertEquals("Intro before any heading.", texts.get(0));
        assertEquals(null, pieces.get(0).heading());
        assertEquals("# Volcanoes\n\nAbout volcanoes.", texts.get(1));
        assertEquals("Volcanoes", pieces.get(1).heading());
        assertTrue(texts.get(2).startsWith("## Lava types") && texts.get(2).contains("# not a heading"), texts.get(2));
        assertEquals("Volcanoes > Lava types", pieces.get(2).heading());
        assertEquals("Volcanoes > Lava types > Deep", pieces.get(3).heading());
        assertEquals("Volcanoes > Hazards", pieces.get(4).heading());
    }

    @Test
    void chunksOfTheTestCorpusHaveTheirFileLineAndMetadata() throws Exception {
        Path corpusDir = Path.of(getClass().getResource("/retrieve/corpus").toURI());
        Corpus corpus = CorpusScan.scan(corpusDir, "corpus", "corpus", new Chunking(300, 50, "text"));
        assertEquals(List.of("faq.jsonl", "guides/tides.txt", "guides/volcanoes.md", "notes/sourdough.md"),
                corpus.files().stream().map(CorpusFile::path).toList());
        List<CorpusReader.Chunk> chunks = CorpusReader.read(corpus);
        assertTrue(chunks.size() >= 24 && chunks.size() <= 60, "a few dozen chunks: " + chunks.size());
        for (CorpusReader.Chunk c : chunks) assertTrue(c.text().length() <= 300, c.toString());

        CorpusReader.Chunk bridge = chunks.get(0);
        assertEquals("faq.jsonl", bridge.file());
        assertEquals(1, bridge.line());
        assertEquals("{\"id\":\"bridge-1\",\"title\":\"Suspension bridges\"}", bridge.meta());
        assertTrue(bridge.text().startsWith("A suspension bridge hangs its deck"));

        List<String> tideLines = Files.readAllLines(corpusDir.resolve("guides/tides.txt"));
        for (CorpusReader.Chunk c : chunks) {
            if (!c.file().equals("guides/tides.txt")) continue;
            String firstLine = c.text().lines().findFirst().orElseThrow();
            assertTrue(tideLines.get(c.line() - 1).contains(firstLine), "line " + c.line() + " holds " + firstLine);
            assertEquals("{}", c.meta());
        }
        CorpusReader.Chunk pahoehoe = chunks.stream().filter(c -> c.text().contains("Pahoehoe is lava")).findFirst().orElseThrow();
        assertEquals("{\"heading\":\"Volcanoes > Lava types\"}", pahoehoe.meta());
        assertEquals("guides/volcanoes.md", pahoehoe.file());
        assertTrue(Files.readAllLines(corpusDir.resolve("guides/volcanoes.md")).get(pahoehoe.line() - 1).startsWith("## Lava types")
                || Files.readAllLines(corpusDir.resolve("guides/volcanoes.md")).get(pahoehoe.line() - 1).startsWith("Pahoehoe"));
    }
}
