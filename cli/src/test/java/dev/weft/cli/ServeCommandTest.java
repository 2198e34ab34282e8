package dev.weft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `weft serve` as a real process over the store `weft run` writes to. */
class ServeCommandTest {
    private static final Pattern URL = Pattern.compile("Weft dashboard on (http://127\\.0\\.0\\.1:\\d+/)");
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @AfterEach
    void cleanUp() throws InterruptedException {
        Harness.killLeftovers();
    }

    private String awaitUrl(Harness.Run serve) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            Matcher m = URL.matcher(serve.out());
            if (m.find()) return m.group(1);
            if (!serve.process().isAlive()) throw new AssertionError("weft serve ended: " + serve);
            Thread.sleep(100);
        }
        throw new AssertionError("weft serve did not say where it listens: " + serve);
    }

    private HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String url, String json, String token) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (token != null) b.header("X-Weft-Token", token);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void serveShowsRunsOfWeftRunAndStartsRunsOfItsOwnInTheSameStore() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("work"));
        Fixtures.workflow(folder, "http://127.0.0.1:9/v1", 4);
        Path db = dir.resolve("weft.db");
        Harness.Run serve = Harness.start(dir, "serve", folder.toString(), "--port", "0", "--db", db.toString());
        String url = awaitUrl(serve);
        assertTrue(serve.out().contains("serving workflows and data from " + folder.toAbsolutePath()), serve.out());
        assertEquals(200, get(url + "api/info").statusCode());
        assertTrue(get(url).body().contains("/assets/runs.js"));

        // `weft run` in another process: the dashboard shows it
        Cli.Result run = Cli.run("run", folder.resolve("workflow.yaml").toString(), "--simulate", "-q", "--db", db.toString());
        assertEquals(0, run.exit(), run.toString());
        assertTrue(get(url + "api/runs").body().contains("\"workflow\":\"kill-test\""));

        // a run started from the dashboard
        HttpResponse<String> started = post(url + "api/runs", "{\"workflow\":\"workflow.yaml\",\"simulate\":true}", null);
        assertEquals(201, started.statusCode(), started.body());
        String id = started.body().replaceAll(".*\"id\":\"([^\"]+)\".*", "$1");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!get(url + "api/runs/" + id).body().contains("\"status\":\"completed\"") && System.nanoTime() < deadline) Thread.sleep(100);
        assertTrue(get(url + "api/runs/" + id).body().contains("\"status\":\"completed\""));
        assertTrue(Cli.run("runs", "--db", db.toString()).out().contains(id), "`weft runs` sees the dashboard's run");

        serve.process().destroy(); // SIGTERM, as Ctrl-C: the server stops cleanly
        assertTrue(serve.process().waitFor(30, TimeUnit.SECONDS), "weft serve stops on SIGTERM");
    }

    @Test
    void withATokenActionsNeedIt() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("work"));
        Fixtures.workflow(folder, "http://127.0.0.1:9/v1", 2);
        Harness.Run serve = Harness.start(dir, Map.of(), "serve", folder.toString(), "--port", "0", "--token", "s3cret-t0ken",
                "--db", dir.resolve("weft.db").toString());
        String url = awaitUrl(serve);
        assertTrue(serve.out().contains("actions need the token s3cret-t0ken"), serve.out());
        assertEquals(401, post(url + "api/runs", "{\"workflow\":\"workflow.yaml\",\"simulate\":true}", null).statusCode());
        assertEquals(201, post(url + "api/runs", "{\"workflow\":\"workflow.yaml\",\"simulate\":true}", "s3cret-t0ken").statusCode());
    }

    @Test
    void aMissingFolderOrABadPortIsAUserError() {
        Cli.Result r = Cli.run("serve", dir.resolve("nope").toString(), "--db", dir.resolve("weft.db").toString());
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("no folder"), r.toString());
        Cli.Result p = Cli.run("serve", dir.toString(), "--port", "70000", "--db", dir.resolve("weft.db").toString());
        assertEquals(2, p.exit(), p.toString());
    }
}
