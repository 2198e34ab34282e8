package dev.weft.web;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.WeftException;
import dev.weft.sink.OutputFormat;
import dev.weft.store.RecordRow;
import dev.weft.store.RecordStatus;
import dev.weft.store.RunQueries;
import dev.weft.store.RunRow;
import dev.weft.store.Store;
import dev.weft.template.Expression;
import dev.weft.template.TemplateEngine;
import dev.weft.workflow.Overrides;
import dev.weft.workflow.Workflow;
import dev.weft.workflow.WorkflowLoader;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import io.javalin.http.staticfiles.Location;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard: a Javalin server with the JSON API under {@code /api/}, server-sent events for
 * live runs, and the pages. Binds 127.0.0.1 unless told otherwise; when it listens on another
 * address, every action (start, resume, cancel, export) needs the token. Requests whose Host is
 * not this server's loopback name (DNS rebinding) and cross-site actions are refused.
 */
public final class WebServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WebServer.class);
    private static final String PAGES = "/dev/weft/web/public/";
    static final String TOKEN_HEADER = "X-Weft-Token";
    private static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
            + " connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    /**
     * How to serve.
     *
     * @param host        the address to bind (127.0.0.1 by default)
     * @param port        0 for any free port
     * @param token       the token actions need; null to generate one when the host is not loopback
     * @param folders     where runs started here may read workflows and data and write output
     * @param environment where API keys are read from for runs started here (normally System.getenv())
     */
    public record Config(String host, int port, String token, List<Path> folders, Map<String, String> environment) {
        public Config {
            folders = List.copyOf(folders);
            environment = Map.copyOf(environment);
        }
    }

    private final Javalin app;
    private final Dashboard dashboard;
    private final Launcher launcher;
    private final String token;
    private final boolean loopback;
    private final String host;
    private final Supplier<WorkflowLoader> loaders;
    private volatile boolean stopping;

    private WebServer(Store store, Config config, Supplier<WorkflowLoader> loaders) {
        this.host = config.host();
        this.loaders = loaders;
        this.loopback = isLoopback(config.host());
        this.token = tokenFor(config.host(), config.token());
        Folders folders = new Folders(config.folders().isEmpty() ? List.of(Path.of(".")) : config.folders());
        this.launcher = new Launcher(store, loaders, folders, config.environment());
        this.dashboard = new Dashboard(store, folders, launcher, loaders);
        this.app = Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.startup.showOldJavalinVersionWarning = false;
            c.http.compressionStrategy = CompressionStrategy.NONE;
            c.http.maxRequestSize = 256_000;
            c.concurrency.useVirtualThreads = true;
            c.staticFiles.add(sf -> {
                sf.hostedPath = "/assets";
                sf.directory = PAGES + "assets";
                sf.location = Location.CLASSPATH;
                sf.headers = Map.of("Cache-Control", "no-cache");
            });
            routes(c.routes);
        });
    }

    /** Starts the dashboard on {@code config.host():config.port()} over an open store. */
    public static WebServer start(Store store, Config config, Supplier<WorkflowLoader> loaders) {
        WebServer s = new WebServer(store, config, loaders);
        s.app.start(config.host(), config.port());
        return s;
    }

    public int port() {
        return app.port();
    }

    /** The token actions need, or null when none is needed (loopback without --token). */
    public String token() {
        return token;
    }

    public String url() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        if (h.equals("0.0.0.0") || h.equals("[::]")) h = "127.0.0.1";
        return "http://" + h + ":" + port() + "/";
    }

    /** The token actions need: the one given; else a new random one when {@code host} is not loopback; else none. */
    static String tokenFor(String host, String given) {
        if (given != null && !given.isBlank()) return given;
        if (isLoopback(host)) return null;
        byte[] b = new byte[24];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    // ---- routes

    private void routes(io.javalin.config.RoutesConfig r) {
        r.before(this::guard);
        r.exception(ApiException.class, (e, ctx) -> {
            ObjectNode j = Json.obj();
            j.put("error", e.getMessage());
            if (e.extra != null) j.setAll(e.extra);
            json(ctx.status(e.status), j);
        });
        r.exception(WeftException.class, (e, ctx) -> json(ctx.status(400), Json.obj().put("error", e.getMessage())));
        r.exception(Exception.class, (e, ctx) -> {
            LOG.warn("unexpected error answering {}", ctx.path(), e);
            json(ctx.status(500), Json.obj().put("error", "unexpected error: " + e.getClass().getSimpleName()
                    + "; this is a bug in Weft, please report it with what you did"));
        });
        r.error(404, ctx -> {
            if (ctx.path().startsWith("/api/") && ctx.result() == null) json(ctx, Json.obj().put("error", "no such API endpoint: " + ctx.path()));
        });

        // pages
        r.get("/", ctx -> page(ctx, "runs.html"));
        r.get("/runs/{id}", ctx -> page(ctx, "run.html"));
        r.get("/runs/{id}/records/{seq}", ctx -> page(ctx, "record.html"));
        r.get("/runs/{id}/records/{seq}/<path>", ctx -> page(ctx, "record.html"));
        r.get("/workflows", ctx -> page(ctx, "workflows.html"));
        r.get("/workflow", ctx -> page(ctx, "workflow.html"));

        // reads
        r.get("/api/info", ctx -> json(ctx, Json.obj().put("version", version()).put("token_required", token != null)
                .put("loopback", loopback).set("folders", folderList())));
        r.get("/api/runs", ctx -> json(ctx, dashboard.runs(ctx.queryParam("workflow"), ctx.queryParam("status"),
                intParam(ctx, "limit", 50), intParam(ctx, "offset", 0))));
        r.get("/api/runs/{id}", ctx -> json(ctx, dashboard.runState(ctx.pathParam("id"))));
        r.get("/api/runs/{id}/graph", ctx -> json(ctx, dashboard.graph(ctx.pathParam("id"))));
        r.get("/api/runs/{id}/nodes", ctx -> json(ctx, dashboard.nodes(dashboard.run(ctx.pathParam("id")))));
        r.get("/api/runs/{id}/scores", ctx -> json(ctx, dashboard.scores(ctx.pathParam("id"))));
        r.get("/api/runs/{id}/progress", ctx -> json(ctx, dashboard.progress(ctx.pathParam("id"))));
        r.get("/api/runs/{id}/quality", ctx -> json(ctx, dashboard.quality(ctx.pathParam("id"))));
        r.get("/api/runs/{id}/records", ctx -> json(ctx, dashboard.records(ctx.pathParam("id"), ctx.queryParam("status"),
                ctx.queryParam("node"), ctx.queryParam("q"), ctx.queryParam("id"), ctx.queryParam("after"), intParam(ctx, "limit", 50))));
        r.get("/api/runs/{id}/records/{seq}", ctx -> json(ctx, dashboard.record(ctx.pathParam("id"), keyParam(ctx, null))));
        r.get("/api/runs/{id}/records/{seq}/<path>", ctx -> json(ctx, dashboard.record(ctx.pathParam("id"), keyParam(ctx, ctx.pathParam("path")))));
        r.get("/api/workflows", ctx -> json(ctx, dashboard.workflows()));
        r.get("/api/workflow", ctx -> json(ctx, dashboard.workflow(ctx.queryParam("path"))));
        r.sse("/api/runs/{id}/events", this::runEvents);
        r.sse("/api/events/runs", this::runsEvents);

        // actions
        r.post("/api/runs", ctx -> {
            String id = launcher.start(Launcher.StartRequest.from(body(ctx)));
            json(ctx.status(201), Json.obj().put("id", id).put("url", "/runs/" + id));
        });
        r.post("/api/runs/{id}/resume", ctx -> {
            String id = dashboard.run(ctx.pathParam("id")).id();
            launcher.resume(id);
            json(ctx.status(202), Json.obj().put("id", id).put("resumed", true));
        });
        r.post("/api/runs/{id}/cancel", ctx -> {
            String id = dashboard.run(ctx.pathParam("id")).id();
            launcher.cancel(id);
            json(ctx.status(202), Json.obj().put("id", id).put("cancelling", true));
        });
        r.post("/api/runs/{id}/export", this::export);
    }

    private com.fasterxml.jackson.databind.node.ArrayNode folderList() {
        var a = Json.arr();
        dashboard.folders.roots().forEach(p -> a.add(p.toString()));
        return a;
    }

    /** Host check (DNS rebinding), same-origin and token for actions, and headers that keep pages from running injected code. */
    private void guard(Context ctx) {
        ctx.header("Content-Security-Policy", CSP);
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Referrer-Policy", "no-referrer");
        ctx.header("X-Frame-Options", "DENY");
        String hostHeader = ctx.header("Host");
        if (loopback && !loopbackHost(hostHeader)) {
            throw new ApiException(403, "refused: this dashboard answers only to 127.0.0.1, localhost or [::1], not '" + hostHeader + "'");
        }
        if (!ctx.method().name().equals("POST")) return;
        String origin = ctx.header("Origin");
        if (origin != null && !origin.equals("null")) {
            String o = origin.replaceFirst("^https?://", "");
            if (!o.equalsIgnoreCase(hostHeader)) throw new ApiException(403, "refused: a cross-site request (Origin " + origin + ")");
        }
        String type = ctx.contentType();
        if (type == null || !type.toLowerCase().startsWith("application/json")) {
            throw new ApiException(415, "send actions as JSON (Content-Type: application/json)");
        }
        if (token != null && !sameToken(ctx.header(TOKEN_HEADER))) {
            throw new ApiException(401, "this action needs the dashboard's token (printed by `weft serve` when it started);"
                    + " send it in the " + TOKEN_HEADER + " header");
        }
    }

    private boolean sameToken(String given) {
        return given != null && MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
    }

    private boolean loopbackHost(String h) {
        if (h == null) return false;
        String name = h.startsWith("[") ? h.substring(0, h.indexOf(']') + 1) : h.contains(":") ? h.substring(0, h.lastIndexOf(':')) : h;
        return Set.of("127.0.0.1", "localhost", "[::1]").contains(name.toLowerCase());
    }

    private static JsonNode body(Context ctx) {
        try {
            return Json.M.readTree(ctx.body());
        } catch (IOException e) {
            throw ApiException.bad("the body is not JSON: " + e.getMessage());
        }
    }

    private static void json(Context ctx, JsonNode n) {
        ctx.contentType("application/json; charset=utf-8");
        ctx.header("Cache-Control", "no-store");
        ctx.result(Json.write(n));
    }

    private static void page(Context ctx, String name) throws IOException {
        try (InputStream in = WebServer.class.getResourceAsStream(PAGES + name)) {
            if (in == null) throw ApiException.notFound("no page " + name);
            ctx.contentType("text/html; charset=utf-8");
            ctx.header("Cache-Control", "no-cache");
            ctx.result(in.readAllBytes());
        }
    }

    private static int intParam(Context ctx, String name, int dflt) {
        String v = ctx.queryParam(name);
        if (v == null || v.isBlank()) return dflt;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw ApiException.bad("`" + name + "` must be a whole number, not '" + v + "'");
        }
    }

    private static long longParam(Context ctx, String name, long dflt) {
        String v = ctx.queryParam(name);
        if (v == null || v.isBlank()) return dflt;
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw ApiException.bad("`" + name + "` must be a whole number, not '" + v + "'");
        }
    }

    /** A record's address: its source position, then the child path of a child of an explode ({@code 17/0/2}). */
    private static RunQueries.RecordKey keyParam(Context ctx, String path) {
        RunQueries.RecordKey k = RunQueries.RecordKey.parse(ctx.pathParam("seq") + (path == null ? "" : "/" + path));
        if (k == null) throw ApiException.bad("a record is named by its position, a whole number, and for a child its path (17/0/2)");
        return k;
    }

    private static String version() {
        String v = WebServer.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT" : v;
    }

    // ---- export

    /** Streams a run's done records as JSONL in a dataset format, in source order. */
    private void export(Context ctx) throws IOException {
        RunRow row = dashboard.run(ctx.pathParam("id"));
        JsonNode b = body(ctx);
        String format = b.path("format").asText("raw");
        if (!OutputFormat.NAMES.contains(format)) throw ApiException.bad("unknown format '" + format + "' (use " + String.join(", ", OutputFormat.NAMES) + ")");
        TemplateEngine templates = new TemplateEngine();
        Map<String, Expression> mapping = new LinkedHashMap<>();
        try {
            Map<String, String> bundle = Json.M.readValue(row.bundle(), new TypeReference<Map<String, String>>() {});
            JsonNode opts = Json.parseOrText(row.options());
            List<String> sets = new ArrayList<>();
            List<String> models = new ArrayList<>();
            opts.path("set").forEach(x -> sets.add(x.asText()));
            opts.path("model").forEach(x -> models.add(x.asText()));
            Workflow wf = launcherLoader().load(Path.of(row.workflowPath()), bundle, new Overrides(sets, models));
            if (wf.sink() != null) mapping.putAll(wf.sink().map());
        } catch (WeftException | IOException e) {
            if (!format.equals("raw")) throw new ApiException(409, "cannot read the run's sink mapping (" + e.getMessage() + "); export as raw");
        }
        OutputFormat of;
        try {
            of = new OutputFormat(format, mapping, templates);
        } catch (WeftException e) {
            throw new ApiException(409, e.getMessage() + "; the run's sink has no mapping for it: export as raw or use `weft export --map`");
        }
        ctx.contentType("application/x-ndjson; charset=utf-8");
        ctx.header("Content-Disposition", "attachment; filename=\"" + row.id() + "-" + format + ".jsonl\"");
        BufferedWriter w = new BufferedWriter(new OutputStreamWriter(ctx.outputStream(), StandardCharsets.UTF_8));
        long after = -1;
        while (true) {
            List<RecordRow> page = dashboard.store.records(row.id(), after, 1000);
            if (page.isEmpty()) break;
            for (RecordRow r : page) {
                if (r.status() != RecordStatus.DONE) continue;
                Map<String, Object> state = Json.M.readValue(r.stateJson(), new TypeReference<LinkedHashMap<String, Object>>() {});
                try {
                    w.write(Json.M.writeValueAsString(of.apply(state, r.recordId())));
                } catch (WeftException e) {
                    continue; // a record the mapping cannot render is left out, as `weft export` does
                }
                w.write('\n');
            }
            after = page.get(page.size() - 1).seq();
        }
        w.flush();
    }

    private WorkflowLoader launcherLoader() {
        return loaders.get();
    }

    // ---- live

    private void runEvents(SseClient client) {
        String id = client.ctx().pathParam("id");
        client.keepAlive();
        Thread.ofVirtual().name("weft-sse-run").start(() -> {
            try {
                ObjectNode state = dashboard.runState(id);
                String last = Json.write(state);
                client.sendEvent("snapshot", last);
                long beat = System.nanoTime();
                while (!client.terminated() && !stopping) {
                    if (state.path("run").path("ended").asBoolean()) {
                        client.sendEvent("end", Json.write(Json.obj().put("status", state.path("run").path("status").asText())));
                        break;
                    }
                    Thread.sleep(500);
                    state = dashboard.runState(id);
                    String now = Json.write(state);
                    if (!now.equals(last)) {
                        client.sendEvent("update", now);
                        last = now;
                        beat = System.nanoTime();
                    } else if (System.nanoTime() - beat > 15_000_000_000L) {
                        client.sendComment("still here");
                        beat = System.nanoTime();
                    }
                }
            } catch (ApiException e) {
                client.sendEvent("error", Json.write(Json.obj().put("error", e.getMessage())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                LOG.warn("live updates of run {} stopped", id, e);
            } finally {
                client.close();
            }
        });
    }

    private void runsEvents(SseClient client) {
        String workflow = client.ctx().queryParam("workflow");
        String status = client.ctx().queryParam("status");
        int limit = intParam(client.ctx(), "limit", 50);
        int offset = intParam(client.ctx(), "offset", 0);
        client.keepAlive();
        Thread.ofVirtual().name("weft-sse-runs").start(() -> {
            try {
                String last = Json.write(dashboard.runs(workflow, status, limit, offset));
                client.sendEvent("snapshot", last);
                long beat = System.nanoTime();
                while (!client.terminated() && !stopping) {
                    Thread.sleep(1000);
                    String now = Json.write(dashboard.runs(workflow, status, limit, offset));
                    if (!now.equals(last)) {
                        client.sendEvent("update", now);
                        last = now;
                        beat = System.nanoTime();
                    } else if (System.nanoTime() - beat > 15_000_000_000L) {
                        client.sendComment("still here");
                        beat = System.nanoTime();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                LOG.warn("live updates of the runs list stopped", e);
            } finally {
                client.close();
            }
        });
    }

    /** Stops serving: runs started here are interrupted (they can be resumed) and live streams end. */
    @Override
    public void close() {
        stopping = true;
        launcher.close();
        app.stop();
    }
}
