package dev.weft.run;

import dev.weft.WeftException;
import dev.weft.model.ModelGateway;
import dev.weft.retrieve.CorpusIndexes;
import dev.weft.spi.DroppedRecordException;
import dev.weft.spi.StepFailedException;
import dev.weft.spi.StepOutcome;
import dev.weft.store.Store;
import dev.weft.template.TemplateEngine;
import dev.weft.template.TemplateException;
import dev.weft.workflow.EdgeDef;
import dev.weft.workflow.NodeDef;
import dev.weft.workflow.Workflow;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Another workflow run for one record inside a step (a workflow node, or a workflow an agent uses
 * as a tool): its
 * nodes and edges as {@link RecordRun} takes them, through the same models, store, step cache and
 * cache mode, but without records or steps of its own in the store; what its model calls cost, and
 * the cache keys of its calls (so a record's trace shows them), are added to the calling step. On
 * the calling step's thread only.
 */
final class WorkflowCall {
    /** A guard against a graph that keeps a record going forever (every cycle is bounded; this bounds the product). */
    private static final int MAX_VISITS = 10_000;

    private WorkflowCall() {}

    static Map<String, Object> run(Workflow workflow, String recordId, Map<String, Object> fields, TemplateEngine templates,
                                   ModelGateway models, Store store, CorpusIndexes indexes, CacheMode cacheMode, Step caller) throws InterruptedException {
        Map<String, Object> state = new LinkedHashMap<>(fields);
        Map<String, Integer> visits = new HashMap<>();
        Map<String, Integer> traversals = new HashMap<>();
        String current = workflow.start();
        int steps = 0;
        while (!current.equals(EdgeDef.END)) {
            if (++steps > MAX_VISITS) throw new StepFailedException("workflow '" + workflow.name() + "' took more than " + MAX_VISITS + " steps");
            NodeDef node = workflow.nodes().get(current);
            int visit = visits.merge(current, 1, Integer::sum) - 1;
            Step step = new Step(node, state, recordId, visit, workflow.seed(), templates, models, store, indexes, cacheMode);
            StepOutcome outcome;
            try {
                outcome = node.node().run(step);
            } catch (StepFailedException | TemplateException e) {
                throw new StepFailedException("workflow '" + workflow.name() + "', node '" + current + "': " + e.getMessage(), e);
            } catch (WeftException e) {
                throw new StepFailedException("workflow '" + workflow.name() + "', node '" + current + "': " + e.getMessage(), e);
            } finally {
                caller.add(step);
            }
            if (outcome.dropped()) throw new DroppedRecordException(workflow.name(), current, outcome.dropReason());
            if (outcome.exploded()) {
                throw new StepFailedException("workflow '" + workflow.name() + "', node '" + current
                        + "' fans the record out into several, which a workflow run inside a step (one record) cannot do");
            }
            state.putAll(outcome.writes());
            current = next(workflow, current, state, traversals, templates);
        }
        return state;
    }

    /** The first edge whose condition holds (in the order written), else the `otherwise` edge; as {@link RecordRun} does. */
    private static String next(Workflow workflow, String from, Map<String, Object> state, Map<String, Integer> traversals,
                               TemplateEngine templates) {
        EdgeDef fallback = null;
        try {
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
        } catch (TemplateException e) {
            throw new StepFailedException("workflow '" + workflow.name() + "', edge condition after node '" + from + "': " + e.getMessage(), e);
        }
        if (fallback != null) return fallback.to();
        throw new StepFailedException("workflow '" + workflow.name() + "': no edge from '" + from + "' matched and there is no `otherwise` edge");
    }
}
