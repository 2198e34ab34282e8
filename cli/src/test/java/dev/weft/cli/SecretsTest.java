package dev.weft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.WeftException;
import dev.weft.model.ChatMessage;
import dev.weft.model.ModelException;
import dev.weft.model.ModelGateway;
import dev.weft.model.ModelProfile;
import dev.weft.model.ModelRequest;
import dev.weft.run.RunOptions;
import dev.weft.testkit.FakeModelServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An API key given through {@code api_key_env} reaches the model server and nothing else: not the
 * store (the database, its WAL and shared-memory files, caught mid-run by a SIGKILL and at the
 * end), not the output, not what any command prints, not the message of any exception on the
 * model path, whatever the server answers (401s, 429s, 500s, malformed bodies, dropped connections).
 */
class SecretsTest {
    private static final String ENV = "WEFT_TEST_API_KEY";
    private final String secret = "sk-weft-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(16));

    @TempDir
    Path dir;

    @AfterEach
    void killLeftovers() throws InterruptedException {
        Harness.killLeftovers();
    }

    @Test
    void theKeyNeverLeavesTheProcessExceptTowardsTheModelServer() throws Exception {
        try (FakeModelServer server = FakeModelServer.start()) {
            server.latency(10).rate429(0.1).rate500(0.1).rateMalformed(0.03).rateReset(0.03).failFirst("", 6, 401);
            Path wf = Fixtures.workflow(dir, server.baseUrl(), 40);
            Files.writeString(wf, Files.readString(wf).replace("retry_delay: 20ms}", "retry_delay: 20ms, api_key_env: " + ENV + "}"));
            assertEquals(2, Files.readString(wf).split("api_key_env").length - 1, "both profiles read the key");
            Path db = dir.resolve("weft.db");
            Map<String, String> env = Map.of(ENV, secret);
            List<String> seen = new ArrayList<>(); // everything the user or the disk got to see

            // A run killed mid-way leaves its WAL and shared-memory files behind: read them raw.
            Harness.Run run = Harness.start(dir, env, "run", wf.toString(), "--db", db.toString(), "-q", "--concurrency", "4");
            Harness.awaitSettled(db, 12, run, 60);
            run.kill();
            assertTrue(Files.exists(Path.of(db + "-wal")), "the WAL is there to be searched");
            seen.addAll(filesUnder(dir));
            String runId = Harness.sql(db, "SELECT id FROM runs");
            assertTrue(Long.parseLong(Harness.sql(db, "SELECT COUNT(*) FROM records WHERE error LIKE '%HTTP 401%'")) > 0,
                    "some records failed on the 401s");

            Harness.Run resume = Harness.start(dir, env, "resume", runId, "--db", db.toString(), "-q");
            assertEquals(0, resume.exit(120), resume.toString());
            // A second run of its own, whose 401 failures stay in the store and in the summary.
            server.failFirst("", 3, 401);
            Harness.Run again = Harness.start(dir, env, "run", wf.toString(), "--db", db.toString(), "--no-cache",
                    "--set", "sink.path=out/again.jsonl");
            assertEquals(0, again.exit(120), again.toString());
            assertTrue(again.out().contains("HTTP 401"), "the 401s are reported:\n" + again.out());
            // And one without the variable: the error names the variable, and only the variable.
            Harness.Run noKey = Harness.start(dir, Map.of(), "run", wf.toString(), "--db", db.toString());
            assertEquals(1, noKey.exit(60), noKey.toString());
            assertTrue(noKey.err().contains("environment variable " + ENV + " is not set"), noKey.err());

            for (String cmd : new String[] {"runs", "show", "export"}) {
                Cli.Result r = switch (cmd) {
                    case "runs" -> Cli.run("runs", "--db", db.toString());
                    case "show" -> Cli.run("show", runId, "--db", db.toString());
                    default -> Cli.run("export", runId, "--db", db.toString(), "--out", dir.resolve("export.jsonl").toString());
                };
                assertEquals(0, r.exit(), r.toString());
                seen.add(cmd + " printed: " + r.out() + r.err());
            }
            seen.addAll(filesUnder(dir)); // the store at rest, every output file, every process's stdout and stderr
            seen.add("the store's tables: " + String.join("\n", Harness.rows(db, "SELECT * FROM runs"))
                    + String.join("\n", Harness.rows(db, "SELECT * FROM records")) + String.join("\n", Harness.rows(db, "SELECT * FROM steps"))
                    + String.join("\n", Harness.rows(db, "SELECT * FROM cache")));

            // The key did travel where it belongs, so not finding it elsewhere means something.
            assertTrue(server.log().stream().allMatch(r -> ("Bearer " + secret).equals(r.headers().get("Authorization"))),
                    "every request carried the key");
            for (String s : seen) assertFalse(s.contains(secret), "the key leaked into " + s.substring(0, Math.min(200, s.length())));
            assertFalse(seen.stream().anyMatch(s -> s.contains(secret.substring(8))), "not even the key's random part");
        }
    }

    @Test
    void noExceptionOnTheModelPathCarriesTheKey() throws Exception {
        try (FakeModelServer server = FakeModelServer.start()) {
            ModelProfile profile = new ModelProfile("writer", ModelProfile.OPENAI, "fake", server.baseUrl(), ENV, 0.0, null, null, null,
                    4, null, null, Duration.ofMillis(300), 1, Duration.ofMillis(10), 0, 0, null);
            ModelGateway gateway = new ModelGateway(List.of(profile), Map.of(ENV, secret), false);
            ModelRequest request = ModelRequest.of(List.of(ChatMessage.user("hello")));
            List<Runnable> faults = List.of(
                    () -> server.failFirst("", 10, 401),
                    () -> server.failFirst("", 10, 403),
                    () -> server.failFirst("", 10, 400),
                    () -> server.rate429(1),
                    () -> server.rate500(1),
                    () -> server.rateMalformed(1),
                    () -> server.rateReset(1),
                    () -> server.hangMillis(2_000).rateTimeout(1),
                    () -> server.down(true));
            for (Runnable fault : faults) {
                server.clearFailFirst().rate429(0).rate500(0).rateMalformed(0).rateReset(0).rateTimeout(0).down(false);
                fault.run();
                ModelException e = assertThrows(ModelException.class, () -> gateway.endpoint("writer").call(request));
                for (Throwable t = e; t != null; t = t.getCause()) {
                    assertFalse(String.valueOf(t.getMessage()).contains(secret), "in " + t.getClass().getName() + ": " + t.getMessage());
                    assertFalse(String.valueOf(t).contains(secret), t.getClass().getName());
                    for (Throwable s : t.getSuppressed()) assertFalse(String.valueOf(s).contains(secret), s.toString());
                }
            }
            assertTrue(server.log().stream().anyMatch(r -> ("Bearer " + secret).equals(r.headers().get("Authorization"))));

            // Where the key is missing, the error names the variable only.
            WeftException missing = assertThrows(WeftException.class, () -> new ModelGateway(List.of(profile), Map.of(), false));
            assertTrue(missing.getMessage().contains(ENV), missing.getMessage());
            // Run options hold the whole environment; their text must not show it.
            assertFalse(RunOptions.defaults().withEnvironment(Map.of(ENV, secret)).toString().contains(secret));
        }
    }

    /** Every file under {@code root} as text (bytes decoded as ISO-8859-1, so any byte sequence survives), with its name. */
    private static List<String> filesUnder(Path root) throws Exception {
        List<String> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                out.add(f + ": " + new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
                // Text stored as UTF-16 would hide from a byte search for the ASCII key.
                out.add(f + " (UTF-16): " + new String(Files.readAllBytes(f), StandardCharsets.UTF_16LE));
            }
        }
        return out;
    }
}
