package dev.weft.retrieve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.embed.TextEmbedder;
import dev.weft.spi.StepFailedException;
import dev.weft.store.IndexTables;
import dev.weft.store.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Corpus indexes with a real SQLite store and the in-process embedder: built exactly once when
 * many records ask at once, loaded (not rebuilt) by the next run, rebuilt when a file changes,
 * and searched with exact, reproducible rankings.
 */
class CorpusIndexesTest {
    private static final Chunking CHUNKING = new Chunking(300, 50, "text");
    private static final TextEmbedder EMBEDDER = TextEmbedder.builtIn();

    @TempDir
    Path dir;
    private Path corpusDir;

    @BeforeEach
    void copyCorpus() throws Exception {
        Path from = Path.of(getClass().getResource("/retrieve/corpus").toURI());
        corpusDir = dir.resolve("corpus");
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path to = corpusDir.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(to);
                else Files.copy(p, to);
            }
        }
    }

    private Corpus scan() {
        return CorpusScan.scan(corpusDir, "corpus", "corpus", CHUNKING);
    }

    private static String top(CorpusIndex index, String query) {
        CorpusIndex.Hit best = index.search(query, 1, -1).get(0);
        return index.source(best.chunk()) + " " + index.text(best.chunk());
    }

    @Test
    void manyRecordsAtOnceBuildItOnceAndTheNextRunLoadsIt() throws Exception {
        Corpus corpus = scan();
        List<String> activity = new CopyOnWriteArrayList<>();
        CorpusIndex first;
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            CorpusIndexes indexes = new CorpusIndexes(store, EMBEDDER, a -> {
                if (a != null) activity.add(a);
            });
            CountDownLatch go = new CountDownLatch(1);
            List<Future<CorpusIndex>> asks = new ArrayList<>();
            try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 64; i++) {
                    asks.add(threads.submit(() -> {
                        go.await();
                        return indexes.get(corpus, "context");
                    }));
                }
                go.countDown();
                first = asks.get(0).get();
                for (Future<CorpusIndex> f : asks) assertSame(first, f.get(), "one index for everyone");
            }
            assertEquals(1, indexes.built());
            assertEquals(0, indexes.loaded());
            assertTrue(activity.stream().anyMatch(a -> a.startsWith("node 'context': indexing corpus corpus/: ") && a.endsWith(" chunks")), activity.toString());
            store.flush();
            IndexTables.Header header = new IndexTables(store).header(first.id()).orElseThrow();
            assertEquals(first.size(), header.chunks());
            assertEquals(1, header.builds());
            assertEquals(384, header.dimension());
            assertEquals(corpus.digest(), header.corpusDigest());
        }
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            CorpusIndexes next = new CorpusIndexes(store, EMBEDDER, a -> {});
            CorpusIndex again = next.get(scan(), "other_node");
            assertEquals(0, next.built(), "not rebuilt");
            assertEquals(1, next.loaded());
            assertEquals(first.id(), again.id());
            assertEquals(first.size(), again.size());
            for (String q : List.of("What is pahoehoe lava?", "Why are there two high tides a day?", "How do suspension bridges hold the deck?")) {
                assertEquals(first.search(q, 5, -1), again.search(q, 5, -1), "the stored vectors rank exactly as the built ones");
            }
            assertEquals(1, new IndexTables(store).header(first.id()).orElseThrow().builds());
        }
    }

    @Test
    void theNearestPassageIsTheOneAboutTheTopic() throws Exception {
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            CorpusIndex index = new CorpusIndexes(store, EMBEDDER, a -> {}).get(scan(), "n");
            assertTrue(top(index, "What is pahoehoe lava like?").startsWith("corpus/guides/volcanoes.md:"), top(index, "What is pahoehoe lava like?"));
            assertTrue(top(index, "What is pahoehoe lava like?").contains("Pahoehoe is lava"));
            assertTrue(top(index, "Why do spring tides have a larger range?").startsWith("corpus/guides/tides.txt:"));
            assertTrue(top(index, "How do suspension bridges carry the weight of the deck?").startsWith("corpus/faq.jsonl:1 "));
            assertTrue(top(index, "How often must I feed my sourdough starter?").startsWith("corpus/notes/sourdough.md:"));
            assertTrue(top(index, "Which dance shows the direction and distance of food?").contains("waggle"), top(index, "Which dance shows the direction and distance of food?"));

            List<CorpusIndex.Hit> hits = index.search("lava", 5, -1);
            assertEquals(5, hits.size());
            for (int i = 1; i < hits.size(); i++) assertTrue(hits.get(i - 1).score() >= hits.get(i).score(), "best first");
            assertTrue(index.search("lava", 5, 0.99).isEmpty(), "min_score leaves out what is not close enough");
            assertEquals(index.size(), index.search("lava", 1000, -1).size(), "top_k above the corpus size gives every chunk");
        }
    }

    @Test
    void equalScoresRankInCorpusOrder() throws Exception {
        Path twins = dir.resolve("twins");
        Files.createDirectories(twins);
        for (String name : List.of("c.txt", "a.txt", "b.txt")) Files.writeString(twins.resolve(name), "The same sentence about river deltas.");
        Files.writeString(twins.resolve("d.txt"), "Something about baking bread.");
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            CorpusIndex index = new CorpusIndexes(store, EMBEDDER, a -> {}).get(CorpusScan.scan(twins, "twins", "twins", CHUNKING), "n");
            List<CorpusIndex.Hit> hits = index.search("river deltas", 3, -1);
            assertEquals(hits.get(0).score(), hits.get(2).score());
            assertEquals(List.of(0, 1, 2), hits.stream().map(CorpusIndex.Hit::chunk).toList());
            assertEquals(List.of("twins/a.txt:1", "twins/b.txt:1", "twins/c.txt:1"), hits.stream().map(h -> index.source(h.chunk())).toList());
        }
    }

    @Test
    void anEditedFileMeansANewIndexAndTheOldOneIsKept() throws Exception {
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            Corpus before = scan();
            CorpusIndexes indexes = new CorpusIndexes(store, EMBEDDER, a -> {});
            CorpusIndex old = indexes.get(before, "n");
            Files.writeString(corpusDir.resolve("guides/tides.txt"), "\nThe tidal bore of the Qiantang river is the largest on Earth.\n",
                    StandardOpenOption.APPEND);
            Corpus after = scan();
            assertNotEquals(before.digest(), after.digest());
            CorpusIndex fresh = indexes.get(after, "n");
            assertNotEquals(old.id(), fresh.id());
            assertEquals(2, indexes.built());
            assertTrue(top(fresh, "Where is the largest tidal bore?").contains("Qiantang"));
            store.flush();
            IndexTables tables = new IndexTables(store);
            assertTrue(tables.header(old.id()).isPresent(), "the old index stays: a resumed run may still need it");
            assertTrue(tables.header(fresh.id()).isPresent());

            // The files no longer match what the old corpus was scanned as: it cannot be built again (but is stored).
            CorpusIndexes third = new CorpusIndexes(store, EMBEDDER, a -> {});
            assertEquals(old.id(), third.get(before, "n").id());
            assertEquals(1, third.loaded());
            // Other chunking, other index.
            Corpus finer = CorpusScan.scan(corpusDir, "corpus", "corpus", new Chunking(200, 0, "text"));
            assertNotEquals(fresh.id(), third.get(finer, "n").id());
            assertEquals(1, third.built());
        }
    }

    @Test
    void aFileChangedSinceTheScanOrABadJsonlLineFailsEveryAskerWithTheSameMessage() throws Exception {
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            Corpus scanned = scan();
            Files.writeString(corpusDir.resolve("notes/sourdough.md"), "changed");
            CorpusIndexes indexes = new CorpusIndexes(store, EMBEDDER, a -> {});
            StepFailedException e = assertThrows(StepFailedException.class, () -> indexes.get(scanned, "n"));
            assertEquals("corpus file corpus/notes/sourdough.md changed since the workflow was loaded (or since this run started);"
                    + " run the workflow anew to index the corpus as it is now", e.getMessage());

            Files.writeString(corpusDir.resolve("faq.jsonl"), "{\"text\": \"fine\"}\n\n{\"text\": oops}\n", StandardOpenOption.APPEND);
            Corpus broken = scan();
            StepFailedException first = assertThrows(StepFailedException.class, () -> indexes.get(broken, "n"));
            assertTrue(first.getMessage().startsWith("corpus corpus/faq.jsonl:10: not valid JSON (Unrecognized token 'oops'"), first.getMessage());
            assertTrue(first.getMessage().endsWith("; each line of a .jsonl file is one JSON object"), first.getMessage());
            StepFailedException second = assertThrows(StepFailedException.class, () -> indexes.get(broken, "n"));
            assertEquals(first.getMessage(), second.getMessage(), "the failure is remembered, not retried per record");
            assertEquals(0, indexes.built());

            Files.writeString(corpusDir.resolve("faq.jsonl"), "{\"id\": 1, \"body\": \"a text in another field\"}\n");
            StepFailedException field = assertThrows(StepFailedException.class, () -> indexes.get(scan(), "n"));
            assertEquals("corpus corpus/faq.jsonl:1: no field 'text'; `text_field` names the field that holds each record's text", field.getMessage());
            Corpus byBody = CorpusScan.scan(corpusDir, "corpus", "corpus", new Chunking(300, 50, "body"));
            Files.writeString(corpusDir.resolve("notes/sourdough.md"), "# Sourdough\n\nFeed the starter daily.\n");
            CorpusIndex index = indexes.get(CorpusScan.scan(corpusDir, "corpus", "corpus", new Chunking(300, 50, "body")), "n");
            assertTrue(byBody.digest().length() == 64);
            CorpusIndex.Hit hit = index.search("another field", 1, -1).get(0);
            assertEquals("a text in another field", index.text(hit.chunk()));
            assertEquals(java.util.Map.of("id", 1), index.meta(hit.chunk()));
        }
    }
}
