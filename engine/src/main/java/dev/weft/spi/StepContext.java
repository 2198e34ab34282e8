package dev.weft.spi;

import dev.weft.model.ModelRequest;
import dev.weft.model.ModelResponse;
import dev.weft.retrieve.Corpus;
import dev.weft.retrieve.CorpusIndex;
import dev.weft.template.Expression;
import dev.weft.template.Template;
import dev.weft.workflow.Workflow;
import java.util.Map;

/**
 * What a node sees while it runs for one record. Given to one step on one thread; not shared.
 */
public interface StepContext {
    /** The record's fields as they are before this step (read-only). */
    Map<String, Object> state();

    String recordId();

    /** Where this record stands in the run's order (source position, then child path). */
    default RecordOrder order() {
        return new RecordOrder(0, "");
    }

    /**
     * For an ordered node ({@link Node#ordered()}): waits until every record before this one (in
     * {@link #order()}) has passed this node or can no longer reach it, then returns this node's
     * memory for the run. Whatever a record decides therefore depends only on the records before it,
     * never on timing. Do the expensive part of the step (say, an embedding) before calling it:
     * records pass this point one at a time.
     *
     * @throws StepFailedException where records have no order (a workflow run inside a step: a workflow node, an agent's workflow tool)
     */
    default OrderedMemory awaitTurn() throws InterruptedException {
        throw new StepFailedException("this node compares records with each other, which a workflow run inside a step (a workflow node or an agent's workflow tool: one record at a time) cannot do");
    }

    /** How many times this record visited this node before (0 on the first visit). */
    int visit();

    /** A seed unique to (workflow seed, record, node, visit): reproducible randomness. */
    long seed();

    String render(Template template);

    Object evaluate(Expression expression);

    /** Evaluates over {@code scope} instead of the record (e.g. the record plus a node's own names). */
    Object evaluate(Expression expression, Map<String, Object> scope);

    boolean test(Expression expression);

    /**
     * Asks a model through the step cache: a cached answer is returned without a call; a miss
     * calls the model (within its profile's limits and retries) and remembers the answer.
     *
     * @param profile the model profile's name
     * @throws StepFailedException when the call fails after its retries, or misses under --cache-only
     */
    ModelResponse ask(String profile, ModelRequest request) throws InterruptedException;

    /** A side computation whose result the step cache keeps (a tool call). */
    @FunctionalInterface
    interface Computation {
        String compute() throws InterruptedException;
    }

    /**
     * Runs a side computation of this step (a tool call) through the step cache: a remembered
     * result is returned without running it; otherwise it runs and its result is remembered (not
     * under --cache-only). The key holds this node, record and visit, the model calls this step
     * made before, how many computations came before it in this step, {@code name} and
     * {@code input}. It is no model call: calls, tokens and cache hits are not counted. The
     * default runs it without a cache.
     */
    default String remember(String name, String input, Computation computation) throws InterruptedException {
        return computation.compute();
    }

    /**
     * Runs another workflow for one record, in-process: its nodes and edges, through this run's
     * models, store, step cache and cache mode; what its model calls cost is counted in this step.
     * Nothing of it is written to the store's records or to its sink.
     *
     * @param recordId the sub-record's id, part of its steps' cache keys: make it unique and stable
     * @return the record's fields when it reaches END
     * @throws DroppedRecordException when one of its nodes drops the record
     * @throws StepFailedException when one of its nodes fails (the message says which)
     */
    default Map<String, Object> runWorkflow(Workflow workflow, String recordId, Map<String, Object> fields) throws InterruptedException {
        throw new StepFailedException("this step cannot run another workflow");
    }

    /**
     * The embedding index of a local corpus, for a search: loaded from the store, or on first use
     * built (read, chunked, embedded in-process) and stored, so that every later run, resumed run
     * and workflow over the same content, chunking and embedder reuses it. Built once per run, however
     * many records ask at once (they wait). No model call; works under --cache-only.
     *
     * @throws StepFailedException when the corpus cannot be indexed (the message names the file and line)
     */
    default CorpusIndex corpusIndex(Corpus corpus) throws InterruptedException {
        throw new StepFailedException("this step cannot search a corpus");
    }
}
