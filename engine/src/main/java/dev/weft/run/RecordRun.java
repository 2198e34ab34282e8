package dev.weft.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.WeftException;
import dev.weft.sink.FormatException;
import dev.weft.spi.RecordOrder;
import dev.weft.spi.StepFailedException;
import dev.weft.spi.StepOutcome;
import dev.weft.store.RecordPath;
import dev.weft.store.RecordRow;
import dev.weft.store.RecordStatus;
import dev.weft.store.StepRow;
import dev.weft.template.TemplateException;
import dev.weft.workflow.EdgeDef;
import dev.weft.workflow.NodeDef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Takes one record through the graph: runs each node, records each step, follows the edge its
 * state selects, and settles the record as done, filtered or failed — or, when a node fans it out
 * (explode), records it as exploded and takes each child on from that node, all children at once,
 * each on its own virtual thread. One instance per record, on that record's thread.
 */
final class RecordRun {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final RunScope run;
    private final long seq;
    private final String path;
    private final String id;
    private final Map<String, Object> state;
    private final Map<String, Integer> visits;
    private final Map<String, Integer> traversals;
    private final String after;
    private final Previous previous;
    private final RecordOrder order;
    private String unreachable;

    /**
     * @param after    null for a source record (it starts at the workflow's start); for a child, the node it was made at
     * @param previous what an earlier attempt of the run left for this source record, or null
     */
    RecordRun(RunScope run, long seq, String path, String id, Map<String, Object> state, Map<String, Integer> visits,
              Map<String, Integer> traversals, String after, Previous previous) {
        this.run = run;
        this.seq = seq;
        this.path = path;
        this.id = id;
        this.state = state;
        this.visits = visits;
        this.traversals = traversals;
        this.after = after;
        this.previous = previous;
        this.order = new RecordOrder(seq, path);
    }

    /** A source record from its first node. */
    static RecordRun source(RunScope run, dev.weft.source.SourceRecord record, Previous previous) {
        return new RecordRun(run, record.seq(), RecordPath.ROOT, record.id(), new LinkedHashMap<>(record.fields()), new HashMap<>(),
                new HashMap<>(), null, previous);
    }

    /**
     * The output lines of the record's done records (itself, or its children's), in record order
     * (none without a sink).
     *
     * @param unreachable the error of a record of this source record that failed because a model server refused the connection, or null
     */
    record Result(List<String> lines, String unreachable) {}

    Result run() throws InterruptedException {
        try {
            return walk();
        } finally {
            run.gate().leave(order); // whatever happened, nobody waits for this record any more
        }
    }

    private Result walk() throws InterruptedException {
        RecordRow before = previous == null ? null : previous.row(path);
        if (before != null && before.status() == RecordStatus.FAILED) run.monitor().unrecord(RecordStatus.FAILED); // another try
        // What an ordered node (dedup) decided for this record in an attempt that did not finish must not be restored by a
        // later resume once this attempt settles another way (e.g. dropped before the node): it decides afresh now.
        if (run.resuming() && run.gate().active()) run.store().clearNotes(run.runId(), seq, path);
        String current;
        if (after == null) {
            current = run.workflow().start();
        } else {
            try {
                current = next(after);
            } catch (TemplateException e) {
                return settle(RecordStatus.FAILED, "edge condition after node '" + after + "': " + e.getMessage(), after);
            }
        }
        while (!current.equals(EdgeDef.END)) {
            NodeDef node = run.workflow().nodes().get(current);
            run.gate().move(order, current);
            int visit = visits.merge(current, 1, Integer::sum) - 1;
            Step step = new Step(node, state, id, visit, run.workflow().seed(), run.templates(), run.models(), run.store(), run.indexes(),
                    run.cacheMode(), order, run.gate());
            long started = System.currentTimeMillis();
            long t0 = System.nanoTime();
            StepOutcome outcome = null;
            String error = null;
            try {
                outcome = node.node().run(step);
            } catch (StepFailedException e) {
                error = e.getMessage();
                if (causedByRefusedConnection(e)) unreachable = e.getMessage();
            } catch (TemplateException e) {
                error = e.getMessage();
            } catch (InterruptedException e) {
                throw e;
            } catch (WeftException e) {
                error = e.getMessage();
            } catch (RuntimeException e) {
                error = "unexpected error in node '" + current + "': " + e; // a bug of ours or a plugin's: keep the class name
            }
            // A step cut short by Ctrl-C is not a failure of the record: leave it for `weft resume`.
            if (Thread.currentThread().isInterrupted()) throw new InterruptedException();
            long millis = (System.nanoTime() - t0) / 1_000_000;
            run.store().step(new StepRow(run.runId(), seq, path, current, visit, node.kind(), started, millis, step.calls, step.cacheHits,
                    step.retries, step.tokensIn, step.tokensOut, step.cost, List.copyOf(step.cacheKeys), error,
                    outcome == null ? null : outcome.note()));
            run.monitor().step(step.calls, step.cacheHits, step.retries, step.tokensIn, step.tokensOut, step.cost);
            if (error != null) {
                String message = "node '" + current + "': " + error;
                if (unreachable != null) unreachable = message;
                return settle(RecordStatus.FAILED, message, current);
            }
            if (outcome.dropped()) return settle(RecordStatus.FILTERED, outcome.dropReason(), current);
            state.putAll(outcome.writes());
            if (outcome.exploded()) return explode(current, outcome);
            try {
                current = next(current);
            } catch (TemplateException e) {
                return settle(RecordStatus.FAILED, "edge condition after node '" + current + "': " + e.getMessage(), current);
            }
        }
        return settle(RecordStatus.DONE, null, null);
    }

    private static boolean causedByRefusedConnection(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) if (t instanceof java.net.ConnectException) return true;
        return false;
    }

    /** The first edge whose condition holds (in the order written), else the `otherwise` edge. */
    private String next(String from) {
        EdgeDef fallback = null;
        for (EdgeDef e : run.workflow().edgesFrom(from)) {
            if (e.otherwise()) {
                fallback = e;
                continue;
            }
            if (e.max() != null && traversals.getOrDefault(e.id(), 0) >= e.max()) continue;
            if (e.when() == null || run.templates().test(e.when(), state)) {
                if (e.max() != null) traversals.merge(e.id(), 1, Integer::sum);
                return e.to();
            }
        }
        if (fallback != null) return fallback.to();
        throw new TemplateException("no edge from '" + from + "' matched and there is no `otherwise` edge");
    }

    /**
     * The record fans out at {@code node}: it is stored as exploded (with its state and how many
     * children it has), and each child — a copy of its state, visits and edge counts plus the child's
     * fields — goes on from {@code node}. Children an earlier attempt finished are not run again.
     */
    private Result explode(String node, StepOutcome outcome) throws InterruptedException {
        List<Map<String, Object>> items = outcome.children();
        if (items.isEmpty()) return settle(RecordStatus.FILTERED, "node '" + node + "' made no child records", node);
        if (items.size() > RecordPath.MAX_CHILDREN) {
            return settle(RecordStatus.FAILED, "node '" + node + "' made " + items.size() + " child records; at most "
                    + RecordPath.MAX_CHILDREN + " are allowed", node);
        }
        String stateJson;
        try {
            stateJson = JSON.writeValueAsString(state);
        } catch (JsonProcessingException e) {
            return settle(RecordStatus.FAILED, "the record cannot be stored: " + e.getOriginalMessage(), node);
        }
        RecordRow before = previous == null ? null : previous.row(path);
        if (before != null && before.children() != null && before.children() > items.size()) {
            run.store().forgetChildren(run.runId(), seq, path, items.size());
        }
        run.store().recordFinished(new RecordRow(run.runId(), seq, path, id, RecordStatus.EXPLODED, stateJson, outcome.note(), node,
                items.size()));
        List<RecordOrder> live = new ArrayList<>();
        List<java.util.concurrent.Callable<Result>> children = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String childPath = RecordPath.child(path, i);
            if (previous != null && previous.isFinal(childPath)) {
                List<String> lines = previous.lines(childPath, run.format());
                children.add(() -> new Result(lines, null));
                continue;
            }
            Map<String, Object> childState = new LinkedHashMap<>(state);
            childState.putAll(items.get(i));
            RecordRun child = new RecordRun(run, seq, childPath, id + "/" + i, childState, new HashMap<>(visits), new HashMap<>(traversals),
                    node, previous);
            live.add(child.order);
            children.add(child::run);
        }
        run.gate().fanOut(order, live, node);
        List<String> lines = new ArrayList<>();
        String childUnreachable = null;
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        try {
            List<Future<Result>> results = new ArrayList<>();
            for (var c : children) results.add(threads.submit(c));
            for (Future<Result> f : results) {
                Result r;
                try {
                    r = f.get();
                } catch (ExecutionException e) {
                    threads.shutdownNow();
                    if (e.getCause() instanceof InterruptedException ie) throw ie;
                    if (e.getCause() instanceof RuntimeException re) throw re;
                    if (e.getCause() instanceof Error err) throw err;
                    throw new IllegalStateException(e.getCause());
                }
                lines.addAll(r.lines());
                if (childUnreachable == null) childUnreachable = r.unreachable();
            }
        } catch (InterruptedException e) {
            threads.shutdownNow(); // Ctrl-C: stop the children too
            throw e;
        } finally {
            threads.shutdown();
        }
        return new Result(lines, childUnreachable);
    }

    private Result settle(RecordStatus status, String error, String node) {
        String stateJson = null;
        String line = null;
        try {
            stateJson = JSON.writeValueAsString(state);
        } catch (JsonProcessingException e) {
            status = RecordStatus.FAILED;
            error = "sink mapping: " + e.getMessage();
        }
        if (status == RecordStatus.DONE && run.format() != null) {
            try {
                line = JSON.writeValueAsString(run.format().apply(state, id));
            } catch (FormatException e) {
                // The record's fields are fine and kept (they show what did not fit); only its line is missing.
                status = RecordStatus.FAILED;
                error = e.getMessage();
            } catch (JsonProcessingException | TemplateException e) {
                status = RecordStatus.FAILED;
                error = "sink mapping: " + e.getMessage();
            }
        }
        RecordRow before = previous == null ? null : previous.row(path);
        if (before != null && before.children() != null) run.store().forgetChildren(run.runId(), seq, path, 0); // no children now
        run.store().recordFinished(new RecordRow(run.runId(), seq, path, id, status, stateJson, error, node, null));
        run.monitor().record(status);
        return new Result(line == null ? List.of() : List.of(line), status == RecordStatus.FAILED ? unreachable : null);
    }
}
