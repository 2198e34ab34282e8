package dev.weft.model;

import dev.weft.WeftException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every model profile of a run, each behind its own {@link Endpoint}. Built once per run.
 * Thread-safe after construction.
 */
public final class ModelGateway {
    private final Map<String, Endpoint> endpoints = new LinkedHashMap<>();

    /**
     * @param offline true under --cache-only: no provider is built (so no API key is needed) and
     *                any call that reaches a model fails
     */
    public ModelGateway(Iterable<ModelProfile> profiles, Map<String, String> environment, boolean offline) {
        for (ModelProfile p : profiles) {
            LanguageModel model = offline ? request -> {
                throw new NonRetriableModelException("model '" + p.name() + "': no model calls are made under --cache-only", null);
            } : Providers.create(p, environment);
            endpoints.put(p.name(), new Endpoint(p, model));
        }
    }

    public Endpoint endpoint(String profile) {
        Endpoint e = endpoints.get(profile);
        if (e == null) throw new WeftException("unknown model profile '" + profile + "'");
        return e;
    }
}
