package dev.weft.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.WeftException;
import dev.weft.run.CacheMode;
import dev.weft.run.RunMonitor;
import dev.weft.run.RunOptions;
import dev.weft.run.Runner;
import dev.weft.store.RunRow;
import dev.weft.store.RunStatus;
import dev.weft.store.Store;
import dev.weft.template.TemplateEngine;
import dev.weft.workflow.InvalidWorkflowException;
import dev.weft.workflow.Overrides;
import dev.weft.workflow.Problem;
import dev.weft.workflow.WorkflowLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Starts, resumes and cancels runs inside this process, through the same {@link Runner} the
 * command line uses, and keeps the ones it runs (with their live in-flight counts). Every run it
 * starts may read and write only inside the served folders. Thread-safe.
 */
final class Launcher implements AutoCloseable {
    private static final Pattern SET = Pattern.compile("([A-Za-z0-9_.\\-]+)=(.*)", Pattern.DOTALL);
    private final Store store;
    private final Supplier<WorkflowLoader> loaders;
    private final Folders folders;
    private final Map<String, String> environment;
    private final Map<String, Active> active = new ConcurrentHashMap<>();

    /** A run this server runs. */
    static final class Active {
        final Runner runner;
        final RunMonitor monitor = new RunMonitor();
        final InFlight inFlight = new InFlight();
        volatile boolean finished;
        volatile String runId;
        volatile Throwable failure;
        Thread thread;

        Active(Runner runner) {
            this.runner = runner;
        }
    }

    Launcher(Store store, Supplier<WorkflowLoader> loaders, Folders folders, Map<String, String> environment) {
        this.store = store;
        this.loaders = loaders;
        this.folders = folders;
        this.environment = Map.copyOf(environment);
    }

    Optional<Active> active(String runId) {
        return Optional.ofNullable(active.get(runId));
    }

    /** What the start form sends. */
    record StartRequest(String workflow, String source, Long limit, boolean simulate, Integer concurrency, String cache,
                        List<String> sets, List<String> models) {
        static StartRequest from(JsonNode b) {
            if (b == null || !b.isObject()) throw ApiException.bad("send a JSON object, e.g. {\"workflow\": \"path/to/workflow.yaml\", \"simulate\": true}");
            Long limit = null;
            if (b.hasNonNull("limit") && !b.get("limit").asText().isBlank()) {
                if (!b.get("limit").canConvertToLong() && !b.get("limit").asText().matches("\\d+")) throw ApiException.bad("`limit` must be a whole number");
                limit = b.get("limit").asLong();
                if (limit < 0) throw ApiException.bad("`limit` cannot be negative");
            }
            Integer concurrency = null;
            if (b.hasNonNull("concurrency") && !b.get("concurrency").asText().isBlank()) {
                concurrency = b.get("concurrency").asInt();
                if (concurrency < 1) throw ApiException.bad("`concurrency` must be at least 1");
            }
            return new StartRequest(text(b, "workflow"), text(b, "source"), limit, b.path("simulate").asBoolean(false), concurrency,
                    text(b, "cache"), lines(b.get("set")), lines(b.get("model")));
        }

        private static String text(JsonNode b, String k) {
            return b.hasNonNull(k) && !b.get(k).asText().isBlank() ? b.get(k).asText().trim() : null;
        }

        /** A list of strings, or one string with one entry per line. */
        private static List<String> lines(JsonNode n) {
            List<String> out = new ArrayList<>();
            if (n == null || n.isNull()) return out;
            if (n.isArray()) {
                n.forEach(x -> {
                    if (!x.asText().isBlank()) out.add(x.asText().trim());
                });
            } else {
                for (String l : n.asText().split("\\R")) if (!l.isBlank()) out.add(l.trim());
            }
            return out;
        }
    }

    /** Checks the request, starts the run on its own thread and answers its id once the run is recorded. */
    String start(StartRequest req) {
        Path file = folders.workflowFile(req.workflow());
        List<String> sets = new ArrayList<>(req.sets());
        if (req.source() != null) sets.add("source.path=" + req.source());
        // Paths named in overrides are checked before anything reads them.
        for (String s : sets) {
            Matcher m = SET.matcher(s);
            if (!m.matches()) throw ApiException.bad("an override reads PATH=VALUE, found '" + s + "'");
            String key = m.group(1);
            if (key.endsWith("path") || key.endsWith("_file")) {
                Path p = file.getParent().resolve(m.group(2).trim()).normalize();
                if (!folders.contains(p)) throw Folders.outside(m.group(2).trim());
            }
        }
        CacheMode mode = switch (req.cache() == null ? "use" : req.cache()) {
            case "use" -> CacheMode.USE;
            case "refresh", "no-cache" -> CacheMode.REFRESH;
            case "only", "cache-only" -> CacheMode.ONLY;
            default -> throw ApiException.bad("`cache` is use, refresh or only, found '" + req.cache() + "'");
        };
        RunOptions options = RunOptions.defaults()
                .withConcurrency(req.concurrency() == null ? RunOptions.DEFAULT_CONCURRENCY : req.concurrency())
                .withLimit(req.limit())
                .withSimulate(req.simulate())
                .withCacheMode(mode)
                .withOverrides(new Overrides(sets, req.models()))
                .withEnvironment(environment);
        Active a = prepare();
        a.thread = Thread.ofPlatform().name("weft-dashboard-run").daemon(true).start(() -> {
            try {
                a.runner.start(file, options, a.monitor);
            } catch (Throwable e) {
                a.failure = e;
            } finally {
                finish(a);
            }
        });
        String id = awaitRecorded(a);
        register(a, id);
        return id;
    }

    /** Continues a run that did not complete, in this process. */
    synchronized void resume(String runId) {
        RunRow row = store.run(runId).orElseThrow(() -> ApiException.notFound("no run " + runId));
        if (row.status() == RunStatus.COMPLETED) throw new ApiException(409, "run " + runId + " already completed; nothing to resume");
        if (active.containsKey(runId)) throw new ApiException(409, "run " + runId + " is running here already");
        if (row.runningElsewhere()) {
            throw new ApiException(409, "run " + runId + " is running in another process (" + row.owner() + "); wait for it or stop it there");
        }
        if (!folders.contains(Path.of(row.workflowPath()))) throw Folders.outside(row.workflowPath());
        Active a = prepare();
        a.thread = Thread.ofPlatform().name("weft-dashboard-run").daemon(true).start(() -> {
            try {
                a.runner.resume(runId, Overrides.NONE, null, environment, a.monitor);
            } catch (Throwable e) {
                a.failure = e;
            } finally {
                finish(a);
            }
        });
        register(a, awaitRecorded(a));
    }

    /** Asks a run this server runs to stop: no new record starts; it ends interrupted and can be resumed. */
    void cancel(String runId) {
        Active a = active.get(runId);
        if (a != null) {
            a.runner.interrupt();
            return;
        }
        RunRow row = store.run(runId).orElseThrow(() -> ApiException.notFound("no run " + runId));
        if (row.runningElsewhere()) {
            throw new ApiException(409, "run " + runId + " runs in another process (" + row.owner() + "), not in this dashboard;"
                    + " stop it there (Ctrl-C in its terminal)");
        }
        throw new ApiException(409, "run " + runId + " is not running (" + row.statusLabel() + ")");
    }

    private Active prepare() {
        WorkflowLoader loader = loaders.get();
        Runner runner = new Runner(loader, new TemplateEngine(), store);
        Active a = new Active(runner);
        runner.prepare(wf -> {
            folders.checkWorkflow(wf);
            return a.inFlight.wrap(wf);
        });
        return a;
    }

    private void register(Active a, String id) {
        a.runId = id;
        active.put(id, a);
        if (a.finished) active.remove(id, a);
    }

    private void finish(Active a) {
        a.finished = true;
        String id = a.runId != null ? a.runId : a.monitor.runId();
        if (id != null) active.remove(id, a);
    }

    private String awaitRecorded(Active a) {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < deadline) {
            String id = a.monitor.runId();
            if (id != null) return id;
            if (a.finished) {
                Throwable f = a.failure;
                if (f instanceof ApiException e) throw e;
                if (f instanceof InvalidWorkflowException iw) {
                    for (Problem p : iw.problems()) {
                        if (p.location().line() > 0 && !folders.contains(Path.of(p.location().file()))) throw Folders.outside(p.location().file());
                    }
                    throw invalid(iw);
                }
                if (f instanceof WeftException w) throw new ApiException(400, w.getMessage());
                if (f instanceof IllegalArgumentException e) throw ApiException.bad(e.getMessage());
                throw new ApiException(500, "the run could not start: " + f);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ApiException(503, "interrupted while starting the run");
            }
        }
        throw new ApiException(504, "the run did not start within two minutes");
    }

    /** Problems as JSON; a problem inside a file outside the served folders is not quoted (it could show that file's text). */
    ApiException invalid(InvalidWorkflowException e) {
        ObjectNode extra = Json.obj();
        ArrayNode list = extra.putArray("problems");
        for (Problem p : e.problems()) list.add(problem(p));
        return new ApiException(422, e.problems().size() == 1 ? "1 problem in the workflow" : e.problems().size() + " problems in the workflow", extra);
    }

    ObjectNode problem(Problem p) {
        ObjectNode j = Json.obj();
        String file = p.location().file();
        boolean isFile = p.location().line() > 0;
        boolean outside = isFile && !folders.contains(Path.of(file));
        j.put("file", file);
        j.put("line", p.location().line());
        j.put("column", p.location().column());
        j.put("message", outside ? "a problem in a file outside the served folders" : p.message());
        j.put("text", outside ? file + ": a problem in a file outside the served folders" : p.toString());
        return j;
    }

    @Override
    public void close() {
        for (Active a : active.values()) a.runner.interrupt();
        for (Active a : active.values()) {
            try {
                a.runner.awaitFinished(15_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
