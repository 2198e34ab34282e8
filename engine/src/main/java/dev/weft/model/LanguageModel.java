package dev.weft.model;

/**
 * A model that answers chat requests: one per provider. Implementations must be thread-safe:
 * one instance serves every record of a run at once.
 */
public interface LanguageModel {
    /**
     * @throws RetriableModelException    when trying again later may succeed (429, 5xx, timeout)
     * @throws NonRetriableModelException when it will not (bad request, authentication, bad answer)
     */
    ModelResponse generate(ModelRequest request);
}
