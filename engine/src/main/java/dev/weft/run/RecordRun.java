package dev.weft.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.WeftException;
import dev.weft.model.ModelGateway;
import dev.weft.retrieve.CorpusIndexes;
import dev.weft.sink.FormatException;
import dev.weft.sink.OutputFormat;
import dev.weft.source.SourceRecord;
import dev.weft.spi.StepFailedException;
import dev.weft.spi.StepOutcome;
import dev.weft.store.RecordRow;
import dev.weft.store.RecordStatus;
import dev.weft.store.StepRow;
import dev.weft.store.Store;
import dev.weft.template.TemplateEngine;
import dev.weft.template.TemplateException;
import dev.weft.workflow.EdgeDef;
import dev.weft.workflow.NodeDef;
import dev.weft.workflow.Workflow;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Takes one record through the graph: runs each node, records each step, follows the edge its
 * state selects, and settles the record as done, filtered or failed. One instance per record,
 * on that record's virtual thread.
 */
final class RecordRun {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Workflow workflow;
    private final String runId;
    private final SourceRecord record;
    private final TemplateEngine templates;
    private final ModelGateway models;
    private final Store store;
    private final CorpusIndexes indexes;
    private final CacheMode cacheMode;
    private final RunMonitor monitor;
    private final OutputFormat format;
    private boolean unreachable;

    RecordRun(Workflow workflow, String runId, SourceRecord record, TemplateEngine templates, ModelGateway models, Store store,
              CorpusIndexes indexes, CacheMode cacheMode, RunMonitor monitor, OutputFormat format) {
        this.workflow = workflow;
        this.runId = runId;
        this.record = record;
        this.templates = templates;
        this.models = models;
        this.store = store;
        this.indexes = indexes;
        this.cacheMode = cacheMode;
        this.monitor = monitor;
        this.format = format;
    }

    /**
     * The settled record and, when done and a sink is set, its output line.
     *
     * @param unreachable the record failed because a model server refused the connection
     */
    record Result(RecordRow row, String line, boolean unreachable) {}

    Result run() throws InterruptedException {
        Map<String, Object> state = new LinkedHashMap<>(record.fields());
        Map<String, Integer> visits = new HashMap<>();
        Map<String, Integer> traversals = new HashMap<>();
        String current = workflow.start();
        while (!current.equals(EdgeDef.END)) {
            NodeDef node = workflow.nodes().get(current);
            int visit = visits.merge(current, 1, Integer::sum) - 1;
            Step step = new Step(node, state, record.id(), visit, workflow.seed(), templates, models, store, indexes, cacheMode);
            long started = System.currentTimeMillis();
            long t0 = System.nanoTime();
            StepOutcome outcome = null;
            String error = null;
            try {
                outcome = node.node().run(step);
            } catch (StepFailedException e) {
                error = e.getMessage();
                unreachable = causedByRefusedConnection(e);
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
            store.step(new StepRow(runId, record.seq(), current, visit, node.kind(), started, millis, step.calls, step.cacheHits,
                    step.retries, step.tokensIn, step.tokensOut, step.cost, List.copyOf(step.cacheKeys), error));
            monitor.step(step.calls, step.cacheHits, step.retries, step.tokensIn, step.tokensOut, step.cost);
            if (error != null) return settle(RecordStatus.FAILED, state, "node '" + current + "': " + error, current);
            if (outcome.dropped()) return settle(RecordStatus.FILTERED, state, outcome.dropReason(), current);
            state.putAll(outcome.writes());
            try {
                current = next(current, state, traversals);
            } catch (TemplateException e) {
                return settle(RecordStatus.FAILED, state, "edge condition after node '" + current + "': " + e.getMessage(), current);
            }
        }
        return settle(RecordStatus.DONE, state, null, null);
    }

    private static boolean causedByRefusedConnection(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) if (t instanceof java.net.ConnectException) return true;
        return false;
    }

    /** The first edge whose condition holds (in the order written), else the `otherwise` edge. */
    private String next(String from, Map<String, Object> state, Map<String, Integer> traversals) {
        EdgeDef fallback = null;
        for (EdgeDef e : workflow.edgesFrom(from)) {
            if (e.otherwise()) {
                fallback = e;
                continue;
            }
            if (e.max() != null && traversals.getOrDefault(e.id(), 0) >= e.max()) continue;
            if (e.when() == null || templates.test(e.when(), state)) {
                if (e.max() != null) traversals.merge(e.id(), 1, Integer::sum);
                return e.to();
            }
        }
        if (fallback != null) return fallback.to();
        throw new TemplateException("no edge from '" + from + "' matched and there is no `otherwise` edge");
    }

    private Result settle(RecordStatus status, Map<String, Object> state, String error, String node) {
        String stateJson = null;
        String line = null;
        try {
            stateJson = JSON.writeValueAsString(state);
        } catch (JsonProcessingException e) {
            status = RecordStatus.FAILED;
            error = "sink mapping: " + e.getMessage();
        }
        if (status == RecordStatus.DONE && format != null) {
            try {
                line = JSON.writeValueAsString(format.apply(state, record.id()));
            } catch (FormatException e) {
                // The record's fields are fine and kept (they show what did not fit); only its line is missing.
                status = RecordStatus.FAILED;
                error = e.getMessage();
            } catch (JsonProcessingException | TemplateException e) {
                status = RecordStatus.FAILED;
                error = "sink mapping: " + e.getMessage();
            }
        }
        RecordRow row = new RecordRow(runId, record.seq(), record.id(), status, stateJson, error, node);
        store.recordFinished(row);
        monitor.record(status);
        return new Result(row, line, status == RecordStatus.FAILED && unreachable);
    }
}
