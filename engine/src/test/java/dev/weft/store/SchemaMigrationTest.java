package dev.weft.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A store written before records had child paths opens, keeps its rows and takes children; a newer store is refused clearly. */
class SchemaMigrationTest {
    @TempDir
    Path dir;

    private static List<String> column(Path db, String sql) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); ResultSet rs = c.createStatement().executeQuery(sql)) {
            while (rs.next()) out.add(rs.getString(1));
        }
        return out;
    }

    @Test
    void aStoreOfTheFirstSchemaIsMigratedInPlace() throws Exception {
        Path db = dir.resolve("old.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            // The records and steps tables as the first version of Weft made them.
            s.execute("""
                    CREATE TABLE records (run_id TEXT NOT NULL, seq INTEGER NOT NULL, record_id TEXT NOT NULL, status TEXT NOT NULL,
                      state TEXT, error TEXT, node TEXT, updated_at INTEGER NOT NULL, PRIMARY KEY (run_id, seq))""");
            s.execute("""
                    CREATE TABLE steps (run_id TEXT NOT NULL, seq INTEGER NOT NULL, node TEXT NOT NULL, visit INTEGER NOT NULL,
                      kind TEXT NOT NULL, started_at INTEGER NOT NULL, duration_ms INTEGER NOT NULL, calls INTEGER NOT NULL,
                      cache_hits INTEGER NOT NULL, retries INTEGER NOT NULL, tokens_in INTEGER NOT NULL, tokens_out INTEGER NOT NULL,
                      cost REAL NOT NULL, cache_keys TEXT NOT NULL, error TEXT, PRIMARY KEY (run_id, seq, node, visit))""");
            s.execute("CREATE INDEX weft_records_by_status ON records (run_id, status, seq)");
            s.execute("INSERT INTO records VALUES ('r1', 0, 'a', 'done', '{\"x\":1}', NULL, NULL, 5)");
            s.execute("INSERT INTO records VALUES ('r1', 1, 'b', 'filtered', '{}', 'too short', 'check', 6)");
            s.execute("INSERT INTO steps VALUES ('r1', 0, 'ask', 0, 'llm', 1, 2, 1, 0, 0, 10, 20, 0.5, 'k1', NULL)");
        }
        try (Store store = Store.open(db)) {
            List<RecordRow> rows = store.records("r1", -1, 10);
            assertEquals(List.of(new RecordRow("r1", 0, "", "a", RecordStatus.DONE, "{\"x\":1}", null, null, null),
                    new RecordRow("r1", 1, "", "b", RecordStatus.FILTERED, "{}", "too short", "check", null)), rows);
            assertEquals(List.of(new StepRow("r1", 0, "ask", 0, "llm", 1, 2, 1, 0, 0, 10, 20, 0.5, List.of("k1"), null)), store.steps("r1", 0));
            // Children can now sit below a source record.
            store.recordFinished(new RecordRow("r1", 2, "", "c", RecordStatus.EXPLODED, "{}", null, "split", 1));
            store.recordFinished(new RecordRow("r1", 2, RecordPath.child("", 0), "c/0", RecordStatus.DONE, "{}", null, null, null));
            store.flush();
            assertEquals(List.of("a", "b", "c", "c/0"), store.records("r1", -1, 10).stream().map(RecordRow::recordId).toList());
            assertEquals(new Counters(2, 0, 1, 1, 1, 0, 0, 10, 20, 0.5), store.countersFromRows("r1"), "an exploded record is not counted");
        }
        assertEquals(List.of("2"), column(db, "PRAGMA user_version"));
        assertTrue(column(db, "SELECT name FROM pragma_table_info('steps')").contains("note"));
        try (Store again = Store.open(db)) {
            assertEquals(4, again.records("r1", -1, 10).size(), "opening again changes nothing");
        }
    }

    @Test
    void aStoreOfANewerWeftIsRefusedWithAClearMessage() throws Exception {
        Path db = dir.resolve("new.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.execute("PRAGMA user_version = 9");
        }
        StoreException e = assertThrows(StoreException.class, () -> Store.open(db).close());
        assertEquals("cannot open the store " + db + ": the store was written by a newer Weft (store version 9; this Weft knows up to 2):"
                + " use that Weft, or another --db", e.getMessage());
    }

    @Test
    void aPageOfRecordsNeverSplitsASourceRecordsChildren() {
        try (Store store = Store.open(dir.resolve("pages.db"))) {
            for (int seq = 0; seq < 5; seq++) {
                store.recordFinished(new RecordRow("r", seq, "", "s" + seq, RecordStatus.EXPLODED, "{}", null, "split", 3));
                for (int i = 0; i < 3; i++) {
                    store.recordFinished(new RecordRow("r", seq, RecordPath.child("", i), "s" + seq + "/" + i, RecordStatus.DONE, "{}", null, null, null));
                }
            }
            store.flush();
            List<String> seen = new ArrayList<>();
            long after = -1;
            while (true) {
                List<RecordRow> page = store.records("r", after, 6);
                if (page.isEmpty()) break;
                assertEquals(0, page.size() % 4, "whole source records only: " + page.size());
                page.forEach(r -> seen.add(r.recordId()));
                after = page.get(page.size() - 1).seq();
            }
            assertEquals(20, seen.size());
            assertEquals(List.of("s0", "s0/0", "s0/1", "s0/2", "s1"), seen.subList(0, 5));
        }
    }
}
