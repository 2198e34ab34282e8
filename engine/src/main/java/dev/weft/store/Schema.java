package dev.weft.store;

import org.jdbi.v3.core.Handle;

/**
 * The store's tables. Created on first open; `IF NOT EXISTS` keeps opening idempotent, and is also
 * the migration: a store made by an older Weft gets the tables it lacks (the corpus index tables)
 * when it is next opened, and keeps everything it holds.
 */
final class Schema {
    private Schema() {}

    static void create(Handle h) {
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
        h.execute("""
                CREATE TABLE IF NOT EXISTS records (
                  run_id TEXT NOT NULL,
                  seq INTEGER NOT NULL,
                  record_id TEXT NOT NULL,
                  status TEXT NOT NULL,
                  state TEXT,
                  error TEXT,
                  node TEXT,
                  updated_at INTEGER NOT NULL,
                  PRIMARY KEY (run_id, seq))""");
        h.execute("""
                CREATE TABLE IF NOT EXISTS steps (
                  run_id TEXT NOT NULL,
                  seq INTEGER NOT NULL,
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
                  PRIMARY KEY (run_id, seq, node, visit))""");
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
    }
}
