package dev.weft.model;

import dev.weft.workflow.Location;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A named model profile from a workflow's {@code models:} section. Immutable and thread-safe.
 * Only {@link #generationParameters()} enter the step cache key: where the server is, how fast
 * we may call it and what it costs do not change what it answers.
 */
public record ModelProfile(
        String name,
        String provider,
        String model,
        String baseUrl,
        String apiKeyEnv,
        Double temperature,
        Double topP,
        Integer maxTokens,
        Integer seed,
        int maxConcurrency,
        Integer requestsPerMinute,
        Integer tokensPerMinute,
        Duration timeout,
        int maxRetries,
        Duration retryDelay,
        double pricePer1kInput,
        double pricePer1kOutput,
        Location location) {

    public static final String OPENAI = "openai";
    public static final String OLLAMA = "ollama";
    public static final String SIMULATED = "simulated";

    public ModelProfile {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(model, "model");
        if (maxConcurrency < 1) throw new IllegalArgumentException("max_concurrency must be at least 1");
        if (maxRetries < 0) throw new IllegalArgumentException("max_retries cannot be negative");
    }

    /** The same profile answered by the offline simulator (for --simulate). */
    public ModelProfile simulated() {
        return new ModelProfile(name, SIMULATED, model, null, null, temperature, topP, maxTokens, seed,
                maxConcurrency, null, null, timeout, maxRetries, retryDelay, pricePer1kInput, pricePer1kOutput, location);
    }

    public boolean isSimulated() {
        return SIMULATED.equals(provider);
    }

    /** What decides the answer: part of every step's cache key. */
    public Map<String, Object> generationParameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("provider", provider);
        p.put("model", model);
        p.put("temperature", temperature);
        p.put("top_p", topP);
        p.put("max_tokens", maxTokens);
        p.put("seed", seed);
        return p;
    }

    public double cost(int inputTokens, int outputTokens) {
        return inputTokens / 1000.0 * pricePer1kInput + outputTokens / 1000.0 * pricePer1kOutput;
    }
}
