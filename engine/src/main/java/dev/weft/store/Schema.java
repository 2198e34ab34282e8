package dev.weft.store;

import org.jdbi.v3.core.Handle;

/**
 * The store's tables. Created on first open; `IF NOT EXISTS` keeps opening idempotent, and gives a
 * store made by an older Weft the tables it lacks (the corpus index tables). The schema's version
 * is SQLite's {@code user_version}: 0 (or a store made before it was kept) has
 * records and steps keyed by source position only; 2 adds the child path of records an explode
 * made ({@code path}; {@code ''} for a source record), the number of children of an exploded
 * record ({@code children}) and a step's note ({@code note}). An older store is migrated in
 * place, in one transaction, the first time this version opens it.
 */
final class Schema {
    static final int VERSION = 2;

    private static final String RECORDS = """
            CREATE TABLE IF NOT EXISTS %s (
              run_id TEXT NOT NULL,
              seq INTEGER NOT NULL,
              path TEXT NOT NULL DEFAULT '',
              record_id TEXT NOT NULL,
              status TEXT NOT NULL,
              state TEXT,
              error TEXT,
              node TEXT,
              children INTEGER,
              updated_at INTEGER NOT NULL,
              PRIMARY KEY (run_id, seq, path))""";
    private static final String STEPS = """
            CREATE TABLE IF NOT EXISTS %s (
              run_id TEXT NOT NULL,
              seq INTEGER NOT NULL,
              path TEXT NOT NULL DEFAULT '',
              node TEXT NOT NULL,
              visit INTEGER NOT NULL,
              kind TEXT NOT NULL,
              started_at INTEGER NOT NULL,
              duration_ms INTEGER NOT NULL,
              calls INTEGER NOT NULL,
              cache_hits INTEGER NOT NULL,
              retries INTEGER NOT NULL,
              tokens_in INTEGER NOT NULL,
              tokens_out INTEGER NOT NULL,
              cost REAL NOT NULL,
              cache_keys TEXT NOT NULL,
              error TEXT,
              note TEXT,
              PRIMARY KEY (run_id, seq, path, node, visit))""";

    private Schema() {}

    static void create(Handle h) {
        h.useTransaction(t -> createIn(t));
    }

    private static void createIn(Handle h) {
        int version = h.createQuery("PRAGMA user_version").mapTo(Integer.class).one();
        if (version > VERSION) {
            throw new StoreException("the store was written by a newer Weft (store version " + version + "; this Weft knows up to "
                    + VERSION + "): use that Weft, or another --db", null);
        }
        h.execute("""
                CREATE TABLE IF NOT EXISTS runs (
                  id TEXT PRIMARY KEY,
                  workflow_name TEXT NOT NULL,
                  workflow_path TEXT NOT NULL,
                  workflow_hash TEXT NOT NULL,
                  bundle TEXT NOT NULL,
                  options TEXT NOT NULL,
                  status TEXT NOT NULL,
                  simulated INTEGER NOT NULL,
                  created_at INTEGER NOT NULL,
                  updated_at INTEGER NOT NULL,
                  finished_at INTEGER,
                  message TEXT,
                  total INTEGER,
                  done INTEGER NOT NULL DEFAULT 0,
                  failed INTEGER NOT NULL DEFAULT 0,
                  filtered INTEGER NOT NULL DEFAULT 0,
                  steps INTEGER NOT NULL DEFAULT 0,
                  calls INTEGER NOT NULL DEFAULT 0,
                  cache_hits INTEGER NOT NULL DEFAULT 0,
                  retries INTEGER NOT NULL DEFAULT 0,
                  tokens_in INTEGER NOT NULL DEFAULT 0,
                  tokens_out INTEGER NOT NULL DEFAULT 0,
                  cost REAL NOT NULL DEFAULT 0,
                  output_path TEXT,
                  owner TEXT)""");
        tables(h, "records", RECORDS, "run_id, seq, record_id, status, state, error, node, updated_at");
        tables(h, "steps", STEPS, "run_id, seq, node, visit, kind, started_at, duration_ms, calls, cache_hits, retries, tokens_in,"
                + " tokens_out, cost, cache_keys, error");
        h.execute("""
                CREATE TABLE IF NOT EXISTS cache (
                  key TEXT PRIMARY KEY,
                  profile TEXT NOT NULL,
                  provider TEXT NOT NULL,
                  model TEXT NOT NULL,
                  request TEXT NOT NULL,
                  response TEXT NOT NULL,
                  tokens_in INTEGER NOT NULL,
                  tokens_out INTEGER NOT NULL,
                  created_at INTEGER NOT NULL)""");
        // Embedding indexes of retrieve corpora, shared by every run and workflow that chunks the same
        // content the same way with the same embedder. The header is written last, in the same
        // transaction as the chunks: an index without its header row was never finished.
        h.execute("""
                CREATE TABLE IF NOT EXISTS corpus_indexes (
                  id TEXT PRIMARY KEY,
                  corpus_digest TEXT NOT NULL,
                  settings TEXT NOT NULL,
                  embedder TEXT NOT NULL,
                  dimension INTEGER NOT NULL,
                  chunks INTEGER NOT NULL,
                  build_ms INTEGER NOT NULL,
                  builds INTEGER NOT NULL DEFAULT 1,
                  created_at INTEGER NOT NULL)""");
        h.execute("""
                CREATE TABLE IF NOT EXISTS corpus_chunks (
                  index_id TEXT NOT NULL,
                  n INTEGER NOT NULL,
                  file TEXT NOT NULL,
                  line INTEGER NOT NULL,
                  text TEXT NOT NULL,
                  meta TEXT NOT NULL,
                  vector BLOB NOT NULL,
                  PRIMARY KEY (index_id, n))""");
        if (version < VERSION) h.execute("PRAGMA user_version = " + VERSION);
    }

    /**
     * Creates a table of version 2, or rebuilds an older one as version 2 (SQLite cannot change a
     * primary key in place): the old rows are copied, source records getting the empty path.
     */
    private static void tables(Handle h, String name, String ddl, String oldColumns) {
        boolean exists = h.createQuery("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = :n").bind("n", name)
                .mapTo(Integer.class).one() > 0;
        boolean current = !exists || h.createQuery("SELECT COUNT(*) FROM pragma_table_info(:n) WHERE name = 'path'").bind("n", name)
                .mapTo(Integer.class).one() > 0;
        if (current) {
            h.execute(ddl.formatted(name));
            return;
        }
        h.execute(ddl.formatted(name + "_v2"));
        h.execute("INSERT INTO " + name + "_v2 (" + oldColumns + ") SELECT " + oldColumns + " FROM " + name);
        h.execute("DROP TABLE " + name); // its indexes go with it; the dashboard's queries make them again
        h.execute("ALTER TABLE " + name + "_v2 RENAME TO " + name);
    }
}
