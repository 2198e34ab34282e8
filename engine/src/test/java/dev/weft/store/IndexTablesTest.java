package dev.weft.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.run.RunMonitor;
import dev.weft.run.RunOptions;
import dev.weft.run.RunResult;
import dev.weft.run.Runner;
import dev.weft.template.TemplateEngine;
import dev.weft.workflow.NodeKinds;
import dev.weft.workflow.WorkflowLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The corpus index tables: a store made before they existed gets them on open and keeps its runs; a save is whole and counts builds. */
class IndexTablesTest {
    @TempDir
    Path dir;

    private static List<String> tables(Path db) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")) {
            List<String> out = new java.util.ArrayList<>();
            while (rs.next()) out.add(rs.getString(1));
            return out;
        }
    }

    @Test
    void anOlderStoreGetsTheNewTablesAndKeepsItsRuns() throws Exception {
        Path db = dir.resolve("weft.db");
        Path wf = dir.resolve("wf.yaml");
        Files.writeString(wf, """
                name: old
                source: {generate: 3}
                nodes:
                  t: {kind: transform, set: {x: 1}}
                edges:
                  - t -> END
                """);
        String runId;
        try (Store store = Store.open(db)) {
            TemplateEngine templates = new TemplateEngine();
            RunResult r = new Runner(new WorkflowLoader(NodeKinds.builtIn(), templates), templates, store)
                    .start(wf, RunOptions.defaults(), new RunMonitor());
            runId = r.runId();
        }
        // What a store written by Weft before corpus indexes looks like.
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.execute("DROP TABLE corpus_chunks");
            s.execute("DROP TABLE corpus_indexes");
        }
        assertEquals(List.of("cache", "records", "runs", "steps"), tables(db));

        try (Store store = Store.open(db)) {
            assertEquals(3, store.run(runId).orElseThrow().counters().done(), "the old run is intact");
            IndexTables tables = new IndexTables(store);
            byte[] vector = {0, 0, (byte) 0x80, 0x3f}; // 1.0f, little-endian
            IndexTables.Header h = new IndexTables.Header("idx", "digest", "{}", "embedder", 1, 2, 5, 1, 1000);
            tables.save(h, List.of(new IndexTables.Chunk(0, "a.txt", 1, "one", "{}", vector), new IndexTables.Chunk(1, "a.txt", 3, "two", "{}", vector)));
            tables.save(h, List.of(new IndexTables.Chunk(0, "a.txt", 1, "one", "{}", vector), new IndexTables.Chunk(1, "a.txt", 3, "two", "{}", vector)));
            store.flush();
            IndexTables.Header stored = tables.header("idx").orElseThrow();
            assertEquals(2, stored.chunks());
            assertEquals(2, stored.builds(), "saved twice: two builds, one index");
            List<IndexTables.Chunk> chunks = tables.chunks("idx");
            assertEquals(2, chunks.size(), "a second save replaces the chunks");
            assertEquals("two", chunks.get(1).text());
            assertArrayEquals(vector, chunks.get(1).vector());
        }
        assertTrue(tables(db).containsAll(List.of("corpus_chunks", "corpus_indexes")));
    }
}
