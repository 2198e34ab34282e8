package dev.weft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testkit.FakeModelServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The step cache as a user relies on it: edits re-run only what they affect; --cache-only replays offline. */
class CacheBehaviourTest {
    private static final int RECORDS = 12;

    @TempDir
    Path dir;

    @Test
    void editingOnePromptRerunsOnlyThatNodeAndWhatFollows_andCacheOnlyReplaysWithTheServerGone() throws Exception {
        Path db = dir.resolve("weft.db");
        Path wf;
        byte[] edited;
        try (FakeModelServer server = FakeModelServer.start()) {
            wf = Fixtures.workflow(dir, server.baseUrl(), RECORDS);
            Cli.Result first = Cli.run("run", wf.toString(), "--db", db.toString(), "-q");
            assertEquals(0, first.exit(), first.toString());
            long firstCalls = server.requests();
            assertTrue(firstCalls >= RECORDS * 3);

            Cli.Result again = Cli.run("run", wf.toString(), "--db", db.toString(), "-q");
            assertEquals(0, again.exit(), again.toString());
            assertEquals(firstCalls, server.requests(), "an unchanged workflow is answered from the cache");
            assertTrue(again.out().contains("model calls 0"), again.out());

            Files.writeString(wf, Files.readString(wf).replace("prompt: \"Answer: {{ question }}\"", "prompt: \"Answer briefly: {{ question }}\""));
            server.resetCounters();
            int logMark = server.log().size();
            Cli.Result third = Cli.run("run", wf.toString(), "--db", db.toString(), "-q");
            assertEquals(0, third.exit(), third.toString());
            List<FakeModelServer.RecordedRequest> calls = server.log().subList(logMark, server.log().size());
            assertTrue(calls.size() >= RECORDS * 2, "answer and grade re-run for every record");
            for (FakeModelServer.RecordedRequest r : calls) {
                String m = r.lastUserMessage();
                assertTrue(m.startsWith("Answer briefly:") || m.startsWith("Grade the answer") || m.startsWith("Improve the answer")
                                || m.startsWith("That answer cannot be used"),
                        "only the edited node and the nodes after it call the model, but saw: " + m);
            }
            edited = Files.readAllBytes(dir.resolve("out/data.jsonl"));
        }
        // The server is gone now: --cache-only must reproduce the last output without a single call.
        Files.delete(dir.resolve("out/data.jsonl"));
        Cli.Result replay = Cli.run("run", wf.toString(), "--db", db.toString(), "-q", "--cache-only");
        assertEquals(0, replay.exit(), replay.toString());
        assertEquals(new String(edited), Files.readString(dir.resolve("out/data.jsonl")), "offline replay reproduces the output");
        assertTrue(replay.out().contains("0 failed"), replay.out());
    }

    @Test
    void cacheOnlyMissFailsTheRecordWithAClearMessage() throws Exception {
        Path wf = Fixtures.workflow(dir, "http://127.0.0.1:9/v1", 3);
        Cli.Result r = Cli.run("run", wf.toString(), "--db", dir.resolve("empty.db").toString(), "-q", "--cache-only");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("3 failed"), r.out());
        assertTrue(r.out().contains("--cache-only: no remembered answer"), r.out());
    }
}
