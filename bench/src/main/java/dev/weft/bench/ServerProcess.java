package dev.weft.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code dev.weft.testkit.FakeModelServer} in a process of its own, on an ephemeral port of 127.0.0.1. */
final class ServerProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on (http://127\\.0\\.0\\.1:(\\d+)/v1)");
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Process process;
    private final String baseUrl;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    record Stats(long requests, long answered, int maxInFlight) {}

    private ServerProcess(Process process, String baseUrl) {
        this.process = process;
        this.baseUrl = baseUrl;
    }

    static ServerProcess start(Path java, Path classpath, long latencyMs, long jitterMs, double rate429, double rate500, Path log)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED", "-Xms256m", "-Xmx2g",
                // The JDK's HTTP server keeps at most 200 idle keep-alive connections by default and closes
                // the rest, which a client with C > 200 connections sees as dropped connections (retries).
                "-Dsun.net.httpserver.maxIdleConnections=4096",
                "-cp", classpath.toString(), "dev.weft.testkit.FakeModelServer", "--port", "0",
                "--latency-ms", Long.toString(latencyMs), "--jitter-ms", Long.toString(jitterMs),
                "--rate-429", Double.toString(rate429), "--rate-500", Double.toString(rate500)));
        Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        Matcher m = line == null ? null : LISTENING.matcher(line);
        if (m == null || !m.find()) {
            p.destroyForcibly();
            throw new IOException("the fake model server did not start (" + line + "); see " + log);
        }
        Thread.ofVirtual().start(() -> { // keep its stdout drained
            try {
                while (out.readLine() != null) { /* nothing else is printed */ }
            } catch (IOException ignored) {
                // the server ended
            }
        });
        return new ServerProcess(p, m.group(1));
    }

    String baseUrl() {
        return baseUrl;
    }

    long pid() {
        return process.pid();
    }

    Stats stats() throws IOException, InterruptedException {
        String root = baseUrl.substring(0, baseUrl.length() - "/v1".length());
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(root + "/stats")).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode s = JSON.readTree(r.body());
        return new Stats(s.path("requests").asLong(), s.path("answered").asLong(), s.path("max_in_flight").asInt());
    }

    /** CPU time the server process has used so far (all threads), in nanoseconds. */
    long cpuNanos() {
        return process.info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
