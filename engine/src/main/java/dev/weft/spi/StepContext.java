package dev.weft.spi;

import dev.weft.model.ModelRequest;
import dev.weft.model.ModelResponse;
import dev.weft.template.Expression;
import dev.weft.template.Template;
import java.util.Map;

/**
 * What a node sees while it runs for one record. Given to one step on one thread; not shared.
 */
public interface StepContext {
    /** The record's fields as they are before this step (read-only). */
    Map<String, Object> state();

    String recordId();

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
}
