package dev.weft.run;

import dev.weft.model.Endpoint;
import dev.weft.model.ModelCall;
import dev.weft.model.ModelException;
import dev.weft.model.ModelGateway;
import dev.weft.model.ModelRequest;
import dev.weft.model.ModelResponse;
import dev.weft.retrieve.Corpus;
import dev.weft.retrieve.CorpusIndex;
import dev.weft.retrieve.CorpusIndexes;
import dev.weft.spi.OrderedMemory;
import dev.weft.spi.RecordOrder;
import dev.weft.spi.StepContext;
import dev.weft.spi.StepFailedException;
import dev.weft.store.CacheEntry;
import dev.weft.store.Store;
import dev.weft.template.Expression;
import dev.weft.template.Template;
import dev.weft.template.TemplateEngine;
import dev.weft.workflow.NodeDef;
import dev.weft.workflow.Workflow;
import java.nio.charset.StandardCharsets;
import dev.weft.internal.Digests;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One node visit by one record: the {@link StepContext} its node sees, and the tally of what it
 * cost (calls, cache hits, retries, tokens). Used by one thread only.
 */
final class Step implements StepContext {
    private final NodeDef node;
    private final Map<String, Object> state;
    private final String recordId;
    private final int visit;
    private final long workflowSeed;
    private final TemplateEngine templates;
    private final ModelGateway models;
    private final Store store;
    private final CorpusIndexes indexes;
    private final CacheMode cacheMode;
    private final RecordOrder order;
    private final OrderGate gate;
    private int remembered;
    /** This step's own model calls so far: which call of the step a key is for. */
    private int ownCalls;
    /** The cache keys of every model call in this step, its own and those of workflows it ran, in order: the trace. */
    final List<String> cacheKeys = new ArrayList<>();
    int calls;
    int cacheHits;
    int retries;
    long tokensIn;
    long tokensOut;
    double cost;

    /** A step of a workflow run inside another step (a workflow node, a workflow tool): its records have no order. */
    Step(NodeDef node, Map<String, Object> state, String recordId, int visit, long workflowSeed, TemplateEngine templates,
         ModelGateway models, Store store, CorpusIndexes indexes, CacheMode cacheMode) {
        this(node, state, recordId, visit, workflowSeed, templates, models, store, indexes, cacheMode, null, null);
    }

    Step(NodeDef node, Map<String, Object> state, String recordId, int visit, long workflowSeed, TemplateEngine templates,
         ModelGateway models, Store store, CorpusIndexes indexes, CacheMode cacheMode, RecordOrder order, OrderGate gate) {
        this.order = order;
        this.gate = gate;
        this.node = node;
        this.state = Collections.unmodifiableMap(state);
        this.recordId = recordId;
        this.visit = visit;
        this.workflowSeed = workflowSeed;
        this.templates = templates;
        this.models = models;
        this.store = store;
        this.indexes = indexes;
        this.cacheMode = node.cache() || cacheMode == CacheMode.ONLY ? cacheMode : CacheMode.REFRESH;
    }

    @Override
    public Map<String, Object> state() {
        return state;
    }

    @Override
    public String recordId() {
        return recordId;
    }

    @Override
    public RecordOrder order() {
        return order != null ? order : StepContext.super.order();
    }

    @Override
    public OrderedMemory awaitTurn() throws InterruptedException {
        if (gate == null) return StepContext.super.awaitTurn();
        if (gate.memory(node.name()) == null) {
            throw new StepFailedException("node '" + node.name() + "' waits for its turn among the records, but its kind does not say it is"
                    + " ordered (Node.ordered()); that is a bug of its kind");
        }
        return gate.await(order, node.name());
    }

    @Override
    public int visit() {
        return visit;
    }

    @Override
    public long seed() {
        return Digests.firstLong(Digests.sha256(
                (workflowSeed + "\u0000" + recordId + "\u0000" + node.name() + "\u0000" + visit).getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public String render(Template template) {
        return templates.render(template, state);
    }

    @Override
    public Object evaluate(Expression expression) {
        return templates.evaluate(expression, state);
    }

    @Override
    public Object evaluate(Expression expression, Map<String, Object> scope) {
        return templates.evaluate(expression, scope);
    }

    @Override
    public boolean test(Expression expression) {
        return templates.test(expression, state);
    }

    @Override
    public ModelResponse ask(String profileName, ModelRequest request) throws InterruptedException {
        Endpoint endpoint = models.endpoint(profileName);
        String requestJson = CacheKeys.requestJson(request);
        String key = CacheKeys.key(node, endpoint.profile(), requestJson, recordId, visit, ownCalls++);
        cacheKeys.add(key);
        if (cacheMode != CacheMode.REFRESH) {
            Optional<Store.CachedAnswer> hit = store.cachedAnswer(key);
            if (hit.isPresent()) {
                cacheHits++;
                Store.CachedAnswer a = hit.get();
                return CacheKeys.response(request, a.text(), a.tokensIn(), a.tokensOut());
            }
            if (cacheMode == CacheMode.ONLY) {
                throw new StepFailedException("--cache-only: no remembered answer for this call of node '" + node.name()
                        + "' (model '" + profileName + "'); run without --cache-only to call the model");
            }
        }
        ModelCall call;
        try {
            call = endpoint.call(request);
        } catch (ModelException e) {
            throw new StepFailedException(e.getMessage(), e);
        }
        calls++;
        retries += call.retries();
        ModelResponse r = call.response();
        tokensIn += r.inputTokens();
        tokensOut += r.outputTokens();
        cost += call.cost();
        store.cachePut(new CacheEntry(key, profileName, endpoint.profile().provider(), endpoint.profile().model(), requestJson,
                CacheKeys.responseJson(request, r), r.inputTokens(), r.outputTokens(), System.currentTimeMillis()), cacheMode == CacheMode.REFRESH);
        return r;
    }

    @Override
    public String remember(String name, String input, Computation computation) throws InterruptedException {
        String key = CacheKeys.toolKey(node, recordId, visit, ownCalls, remembered++, name, input);
        if (cacheMode != CacheMode.REFRESH) {
            Optional<Store.CachedAnswer> hit = store.cachedAnswer(key);
            if (hit.isPresent()) return hit.get().text();
        }
        String result = computation.compute();
        if (cacheMode != CacheMode.ONLY) {
            store.cachePut(new CacheEntry(key, "tool", "tool", name, input, result, 0, 0, System.currentTimeMillis()),
                    cacheMode == CacheMode.REFRESH);
        }
        return result;
    }

    @Override
    public Map<String, Object> runWorkflow(Workflow workflow, String subRecordId, Map<String, Object> fields) throws InterruptedException {
        // This step's mode: a node with `cache: false` wants fresh answers from the workflow it runs too.
        return WorkflowCall.run(workflow, subRecordId, fields, templates, models, store, indexes, cacheMode, this);
    }

    @Override
    public CorpusIndex corpusIndex(Corpus corpus) throws InterruptedException {
        return indexes.get(corpus, node.name());
    }

    /** Adds what a step run on this one's behalf (a node of a workflow it ran) cost, and its calls to the trace. */
    void add(Step other) {
        cacheKeys.addAll(other.cacheKeys);
        calls += other.calls;
        cacheHits += other.cacheHits;
        retries += other.retries;
        tokensIn += other.tokensIn;
        tokensOut += other.tokensOut;
        cost += other.cost;
    }
}
