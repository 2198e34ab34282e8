package dev.weft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.testkit.FakeModelServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store's disk fills up, or its file becomes unwritable, in the middle of a `weft run`: the
 * run stops with one clear message (exit 1, no stack trace) that names the database file, says
 * what is wrong and how to go on; nothing already written is damaged (SQLite's integrity check,
 * the records and cached answers from before are all there); `weft runs` and `weft show` still
 * work; and once the fault is gone `weft resume` finishes the run with the output of an
 * uninterrupted one. Needs root (see {@link RootFs}).
 */
class StorageFaultsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int RECORDS = 120;

    @TempDir
    Path dir;

    @AfterEach
    void killLeftovers() throws InterruptedException {
        Harness.killLeftovers();
    }

    private interface Fault {
        void inject(Path db) throws Exception;

        void remove(Path db) throws Exception;
    }

    @Test
    void aFullDiskStopsTheRunCleanlyAndResumeFinishesItOnceThereIsRoom() throws Exception {
        try (RootFs fs = RootFs.tmpfs(dir.resolve("small-disk"), "24m")) {
            Path filler = fs.dir().resolve("filler.bin");
            faultMidRun(fs.dir(), "the disk is full; free some space on it", new Fault() {
                public void inject(Path db) {
                    long bytes = RootFs.fill(filler);
                    System.out.println("filled the disk with " + bytes / 1024 + " KiB");
                }

                public void remove(Path db) throws Exception {
                    Files.delete(filler);
                }
            });
        }
    }

    @Test
    void anUnwritableDatabaseFileStopsTheRunCleanlyAndResumeFinishesItOnceWritable() throws Exception {
        try (RootFs fs = RootFs.immutableCapable(dir)) {
            faultMidRun(fs.dir(), "the database file cannot be written; make it writable again", new Fault() {
                // Not the -shm file: SQLite maps it into memory, and a write to an immutable mapping is a SIGBUS.
                public void inject(Path db) throws Exception {
                    RootFs.immutable(db, true);
                    RootFs.immutable(Path.of(db + "-wal"), true);
                }

                public void remove(Path db) throws Exception {
                    RootFs.immutable(db, false);
                    RootFs.immutable(Path.of(db + "-wal"), false);
                }
            });
        }
    }

    private void faultMidRun(Path storeDir, String what, Fault fault) throws Exception {
        try (FakeModelServer server = FakeModelServer.start()) {
            server.latency(15);
            Path wf = Fixtures.workflow(dir, server.baseUrl(), RECORDS);
            Cli.Result reference = Cli.run("run", wf.toString(), "--db", dir.resolve("reference.db").toString(), "-q",
                    "--set", "sink.path=out/reference.jsonl", "--concurrency", "8");
            assertEquals(0, reference.exit(), reference.toString());
            byte[] expected = Files.readAllBytes(dir.resolve("out/reference.jsonl"));

            Path db = storeDir.resolve("weft.db");
            Harness.Run run = Harness.start(dir, "run", wf.toString(), "--db", db.toString(), "-q", "--concurrency", "8");
            Harness.awaitSettled(db, RECORDS / 4, run, 60);
            List<String> recordsBefore = Harness.rows(db, "SELECT seq, record_id, status, state, error FROM records ORDER BY seq");
            List<String> cacheBefore = Harness.rows(db, "SELECT key, response FROM cache ORDER BY key");
            fault.inject(db);
            int exit = run.exit(60); // the writer's failure must end the run, not hang it
            String err = run.err();
            System.out.println("weft run with the fault, exit " + exit + ":\n" + run);

            // One clear message: what, where, what to do; no stack trace.
            String runId = Harness.sql(db, "SELECT id FROM runs");
            assertEquals(1, exit, run.toString());
            assertTrue(err.contains("weft: the run did not complete: cannot write to " + db + ": "), err);
            assertTrue(err.contains(what), err);
            assertTrue(err.contains("weft resume " + runId), err);
            assertFalse(err.contains("Exception") || err.contains("\tat ") || err.contains("unexpected error"), "no stack trace:\n" + err);
            assertTrue(run.out().contains("run       " + runId), "the summary is still printed:\n" + run.out());

            // Nothing written before the fault is damaged.
            assertEquals("ok", Harness.integrity(db));
            List<String> recordsAfter = Harness.rows(db, "SELECT seq, record_id, status, state, error FROM records ORDER BY seq");
            List<String> cacheAfter = Harness.rows(db, "SELECT key, response FROM cache ORDER BY key");
            assertTrue(recordsAfter.containsAll(recordsBefore), "records written before the fault are intact");
            assertTrue(cacheAfter.containsAll(cacheBefore), "answers cached before the fault are intact");
            assertTrue(recordsAfter.size() < RECORDS, "the fault landed mid-run");

            // Reading commands work while the fault is still there ...
            Cli.Result runs = Cli.run("runs", "--db", db.toString());
            assertEquals(0, runs.exit(), runs.toString());
            assertTrue(runs.out().startsWith(runId + "  kill-test"), runs.out());
            Cli.Result show = Cli.run("show", runId, "--db", db.toString());
            assertEquals(0, show.exit(), show.toString());
            assertTrue(show.out().contains("records   " + recordsAfter.size()) || show.out().contains("records   "), show.out());

            // ... and once it is gone, resume finishes the run as if nothing had happened.
            fault.remove(db);
            Harness.Run resume = Harness.start(dir, "resume", runId, "--db", db.toString(), "-q");
            assertEquals(0, resume.exit(120), resume.toString());
            assertEquals(new String(expected, StandardCharsets.UTF_8), Files.readString(dir.resolve("out/data.jsonl")));
            Set<String> ids = new HashSet<>();
            for (String line : Files.readAllLines(dir.resolve("out/data.jsonl"))) {
                assertTrue(ids.add(JSON.readTree(line).get("id").asText()), "written twice: " + line);
            }
            assertEquals(RECORDS, ids.size());
            assertEquals("ok", Harness.integrity(db));
            assertEquals("completed", Harness.sql(db, "SELECT status FROM runs"));
            assertTrue(Harness.rows(db, "SELECT seq, record_id, status, state, error FROM records ORDER BY seq").containsAll(recordsBefore));
            Cli.Result finalShow = Cli.run("show", runId, "--db", db.toString());
            assertTrue(finalShow.out().contains("status    completed"), finalShow.out());
        }
    }
}
