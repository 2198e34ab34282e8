package dev.weft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.testkit.FakeModelServer;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `weft run` killed with SIGKILL at random moments of one run, and `weft resume` killed the same
 * way, again and again, until a resume is let finish: the output is byte-identical to an
 * uninterrupted run, each record is written once, no request is sent again for a step whose answer
 * was in the store when the process died, and SQLite's integrity check passes after every kill.
 * The second test makes the kills land while the store's writer is committing.
 *
 * <p>Short: 3 kills, and 3 inside commits. {@code -Dweft.long=true}: 10 kills, and 20 inside commits.
 * The kill moments come from a seeded random ({@code -Dweft.seed=N} to replay one).
 */
class CrashResumeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @AfterEach
    void killLeftovers() throws InterruptedException {
        Harness.killLeftovers(); // a failed assertion may leave a process running, or stopped
    }

    private static long seed() {
        return Long.getLong("weft.seed", 20_261_120L);
    }

    @Test
    void killedAtRandomMomentsAndResumedEachTimeWritesTheBytesOfAnUninterruptedRun() throws Exception {
        boolean long_ = Harness.longVariants();
        int kills = long_ ? 10 : 3;
        int records = long_ ? 200 : 60;
        Random random = new Random(seed());
        try (FakeModelServer server = FakeModelServer.start()) {
            server.latency(25).jitter(10);
            Path wf = Fixtures.workflow(dir, server.baseUrl(), records);
            Cli.Result reference = Cli.run("run", wf.toString(), "--db", dir.resolve("reference.db").toString(), "-q",
                    "--set", "sink.path=out/reference.jsonl", "--concurrency", "8");
            assertEquals(0, reference.exit(), reference.toString());
            byte[] expected = Files.readAllBytes(dir.resolve("out/reference.jsonl"));

            Path db = dir.resolve("killed.db");
            List<Integer> marks = new ArrayList<>();
            List<Set<String>> storedAtKill = new ArrayList<>();
            Harness.Run run = Harness.start(dir, "run", wf.toString(), "--db", db.toString(), "-q", "--concurrency", "8");
            String runId = null;
            int settled = 0;
            for (int k = 0; k < kills; k++) {
                // When to kill: once a random number of further records settled, plus a random few milliseconds.
                int further = 1 + random.nextInt(Math.max(1, (records - settled) / (kills - k + 1)));
                Harness.awaitSettled(db, settled + further, run, 60);
                Thread.sleep(random.nextInt(40));
                run.kill();
                settled = Harness.settled(db);
                assertTrue(settled < records, "kill " + (k + 1) + " landed before the end (" + settled + " settled)");
                assertEquals("ok", Harness.integrity(db), "after kill " + (k + 1));
                storedAtKill.add(KillResumeTest.cachedRequests(db));
                marks.add(server.log().size());
                if (runId == null) runId = Harness.sql(db, "SELECT id FROM runs");
                System.out.printf("kill %d: %d records settled, %d answers stored%n", k + 1, settled, storedAtKill.get(k).size());
                run = Harness.start(dir, "resume", runId, "--db", db.toString(), "-q");
            }
            assertEquals(0, run.exit(120), "the last resume completes\n" + run);

            assertEquals(new String(expected, StandardCharsets.UTF_8), Files.readString(dir.resolve("out/data.jsonl")),
                    "the output of the killed and resumed run differs from the uninterrupted one");
            Set<String> ids = new HashSet<>();
            for (String line : Files.readAllLines(dir.resolve("out/data.jsonl"))) {
                assertTrue(ids.add(JSON.readTree(line).get("id").asText()), "a record written twice: " + line);
            }
            assertEquals(records, ids.size());
            assertEquals("completed", Harness.sql(db, "SELECT status FROM runs"));
            assertEquals(String.valueOf(records), Harness.sql(db, "SELECT COUNT(*) FROM records WHERE status = 'done'"));
            assertEquals("ok", Harness.integrity(db));

            List<FakeModelServer.RecordedRequest> log = server.log();
            assertTrue(log.size() > marks.get(0), "the resumed runs had work left");
            for (int k = 0; k < kills; k++) {
                int to = k + 1 < kills ? marks.get(k + 1) : log.size();
                for (FakeModelServer.RecordedRequest r : log.subList(marks.get(k), to)) {
                    String messages = KillResumeTest.messagesOf(JSON.readTree(r.body()));
                    assertFalse(storedAtKill.get(k).contains(messages),
                            "after kill " + (k + 1) + ", asked again for a step whose answer was stored: " + r.lastUserMessage());
                }
            }
        }
    }

    @Test
    void killsInsideStoreCommitsLeaveAnIntactStoreThatResumes() throws Exception {
        boolean long_ = Harness.longVariants();
        int wantInsideWrite = long_ ? 20 : 3;
        // Room for many kills: the engine settles a hundred records between two kills, and a kill may land in a checkpoint
        // several times in a row before one lands in a commit.
        int maxKills = wantInsideWrite * 5;
        int records = long_ ? 6_000 : 2_000;
        Random random = new Random(seed() + 1);
        try (FakeModelServer server = FakeModelServer.start()) {
            // Answers of a few kilobytes: each commit writes many pages, so a kill often lands in one.
            server.answer("Say", "la ".repeat(16_000));
            Path wf = smallRecordsWorkflow(server.baseUrl(), records);
            Cli.Result reference = Cli.run("run", wf.toString(), "--db", dir.resolve("reference.db").toString(), "-q",
                    "--set", "sink.path=reference.jsonl");
            assertEquals(0, reference.exit(), reference.toString());
            byte[] expected = Files.readAllBytes(dir.resolve("reference.jsonl"));

            Path db = dir.resolve("killed.db");
            Path wal = dir.resolve("killed.db-wal");
            String runId = null;
            int kills = 0;
            int insideCommit = 0;
            int insideCheckpoint = 0;
            Path shm = dir.resolve("killed.db-shm");
            List<Integer> marks = new ArrayList<>();
            List<Set<String>> storedAtKill = new ArrayList<>();
            Harness.Run run = Harness.start(dir, "run", wf.toString(), "--db", db.toString(), "-q");
            while (insideCommit + insideCheckpoint < wantInsideWrite || insideCommit == 0) {
                assertTrue(kills < maxKills, "only " + insideCommit + " + " + insideCheckpoint + " of " + kills
                        + " kills landed inside a commit or checkpoint");
                int before = Harness.settled(db);
                Harness.awaitSettled(db, before + 1, run, 60);
                Thread.sleep(random.nextInt(300)); // a random moment at full write rate, then the next write caught in the act
                Freezer.Caught caught = Freezer.catchInsideWrite(run.process(), wal, shm, random, 3_000);
                run.kill();
                kills++;
                // Looked at again after the kill: the files must still show the write it interrupted.
                int uncommitted = Wal.uncommittedFrames(wal);
                boolean checkpointing = Wal.checkpointUnfinished(shm);
                if (caught == Freezer.Caught.COMMIT && uncommitted > 0) insideCommit++;
                if (caught == Freezer.Caught.CHECKPOINT && checkpointing) insideCheckpoint++;
                assertEquals("ok", Harness.integrity(db), "after kill " + kills);
                storedAtKill.add(KillResumeTest.cachedRequests(db));
                marks.add(server.log().size());
                int settled = Harness.settled(db);
                System.out.printf("kill %d: %s (%d frames of an unfinished commit in the WAL%s), %d records settled%n", kills,
                        caught == Freezer.Caught.COMMIT ? "inside a commit" : caught == Freezer.Caught.CHECKPOINT ? "inside a checkpoint"
                                : "at a random moment", uncommitted, checkpointing ? ", a checkpoint unfinished" : "", settled);
                assertTrue(settled < records, "kill " + kills + " landed before the end");
                if (runId == null) runId = Harness.sql(db, "SELECT id FROM runs");
                run = Harness.start(dir, "resume", runId, "--db", db.toString(), "-q");
            }
            System.out.printf("%d kills: %d inside a commit, %d inside a checkpoint%n", kills, insideCommit, insideCheckpoint);
            assertEquals(0, run.exit(180), "the last resume completes\n" + run); // started after the last kill
            assertEquals("ok", Harness.integrity(db));
            assertEquals(new String(expected, StandardCharsets.UTF_8), Files.readString(dir.resolve("out.jsonl")),
                    "the output of the killed and resumed run differs from the uninterrupted one");
            assertEquals(String.valueOf(records), Harness.sql(db, "SELECT COUNT(*) FROM records WHERE status = 'done'"));
            assertEquals(String.valueOf(records), Harness.sql(db, "SELECT COUNT(DISTINCT record_id) FROM records"));
            List<FakeModelServer.RecordedRequest> log = server.log();
            for (int k = 0; k < kills; k++) {
                int to = k + 1 < kills ? marks.get(k + 1) : log.size();
                for (FakeModelServer.RecordedRequest r : log.subList(marks.get(k), to)) {
                    assertFalse(storedAtKill.get(k).contains(KillResumeTest.messagesOf(JSON.readTree(r.body()))),
                            "after kill " + (k + 1) + ", asked again for a step whose answer was stored: " + r.lastUserMessage());
                }
            }
        }
    }

    /** Many small records and a fast model: the store's writer commits all the time. */
    private Path smallRecordsWorkflow(String baseUrl, int records) throws IOException {
        StringBuilder data = new StringBuilder();
        for (int i = 0; i < records; i++) data.append("{\"id\": \"s").append(i).append("\", \"k\": ").append(i).append("}\n");
        Files.writeString(dir.resolve("small.jsonl"), data, StandardCharsets.UTF_8);
        Path wf = dir.resolve("small.yaml");
        Files.writeString(wf, """
                name: small-records
                models:
                  m: {provider: openai, model: fast, base_url: "%s", retry_delay: 10ms}
                source: {path: small.jsonl, id: id}
                nodes:
                  pick:
                    kind: sample
                    attributes: {n: [1, 2, 3, 4, 5, 6, 7, 8, 9]}
                  say:
                    kind: llm
                    model: m
                    prompt: "Say {{ n }} for {{ k }}."
                edges:
                  - pick -> say -> END
                sink: {path: out.jsonl}
                """.formatted(baseUrl), StandardCharsets.UTF_8);
        return wf;
    }

    /**
     * Catches a process inside a store write: stops it (SIGSTOP) at random instants and looks at the
     * files while it stands still; when the WAL holds frames of an unfinished commit, or the -shm
     * file shows a checkpoint half done, it stays stopped, for the SIGKILL to land right there.
     */
    static final class Freezer {
        enum Caught { COMMIT, CHECKPOINT, NOTHING }

        static Caught catchInsideWrite(Process p, Path wal, Path shm, Random random, long millis) throws Exception {
            long deadline = System.nanoTime() + millis * 1_000_000;
            while (System.nanoTime() < deadline && p.isAlive()) {
                signal(p, "STOP");
                if (Wal.uncommittedFrames(wal) > 0) return Caught.COMMIT;
                if (Wal.checkpointUnfinished(shm)) return Caught.CHECKPOINT;
                signal(p, "CONT");
                Thread.sleep(0, random.nextInt(999_999) + 1);
            }
            return Caught.NOTHING;
        }

        private static void signal(Process p, String signal) throws Exception {
            Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(p.pid())).redirectErrorStream(true).start();
            kill.getInputStream().readAllBytes();
            if (kill.waitFor() != 0 && p.isAlive()) throw new AssertionError("kill -" + signal + " failed");
        }
    }

    /**
     * Reads a SQLite WAL file (https://sqlite.org/fileformat2.html#walformat): frames of the current
     * generation (their salts match the header's) after its last commit frame belong to a transaction
     * that never committed, i.e. the process died while the writer was writing it.
     */
    static final class Wal {
        /**
         * True when the -shm file's checkpoint record says a checkpoint began copying frames into the
         * database (nBackfillAttempted) and never finished (nBackfill behind it). Read before anything
         * opens the database again, which would rebuild the -shm file.
         */
        static boolean checkpointUnfinished(Path shm) throws IOException {
            if (!Files.exists(shm) || Files.size(shm) < 136) return false;
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(shm)).order(java.nio.ByteOrder.nativeOrder());
            int nBackfill = b.getInt(96);
            int nBackfillAttempted = b.getInt(128);
            return Integer.compareUnsigned(nBackfillAttempted, nBackfill) > 0;
        }

        static int uncommittedFrames(Path wal) throws IOException {
            if (!Files.exists(wal) || Files.size(wal) < 32) return 0;
            try (RandomAccessFile f = new RandomAccessFile(wal.toFile(), "r")) {
                byte[] h = new byte[32];
                f.readFully(h);
                ByteBuffer header = ByteBuffer.wrap(h);
                int magic = header.getInt(0);
                if (magic != 0x377f0682 && magic != 0x377f0683) return 0;
                int pageSize = header.getInt(8);
                int salt1 = header.getInt(16);
                int salt2 = header.getInt(20);
                long frameSize = 24L + pageSize;
                int frames = 0;
                int lastCommit = 0;
                byte[] fh = new byte[24];
                for (long off = 32; off + frameSize <= f.length(); off += frameSize) {
                    f.seek(off);
                    f.readFully(fh);
                    ByteBuffer frame = ByteBuffer.wrap(fh);
                    if (frame.getInt(8) != salt1 || frame.getInt(12) != salt2) break; // an older generation's frame
                    frames++;
                    if (frame.getInt(4) != 0) lastCommit = frames; // "size of the database after commit": a commit frame
                }
                return frames - lastCommit;
            }
        }
    }
}
