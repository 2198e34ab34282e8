package dev.weft.model;

import io.github.bucket4j.Bucket;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One profile's model behind its limits: at most {@code max_concurrency} calls at once,
 * request- and token-rate buckets, and retries with exponential backoff that honour Retry-After.
 * Thread-safe: every record's virtual thread calls the same instance.
 */
public final class Endpoint {
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(60);
    private final ModelProfile profile;
    private final LanguageModel model;
    private final Semaphore inFlight;
    private final Bucket requests;
    private final Bucket tokens;

    public Endpoint(ModelProfile profile, LanguageModel model) {
        this.profile = profile;
        this.model = model;
        this.inFlight = new Semaphore(profile.maxConcurrency(), true);
        this.requests = profile.requestsPerMinute() == null ? null : Bucket.builder()
                .addLimit(l -> l.capacity(profile.requestsPerMinute()).refillGreedy(profile.requestsPerMinute(), Duration.ofMinutes(1)))
                .build();
        this.tokens = profile.tokensPerMinute() == null ? null : Bucket.builder()
                .addLimit(l -> l.capacity(profile.tokensPerMinute()).refillGreedy(profile.tokensPerMinute(), Duration.ofMinutes(1)))
                .build();
    }

    public ModelProfile profile() {
        return profile;
    }

    /**
     * Calls the model, waiting for its limits and retrying what may pass.
     *
     * @throws ModelException the last failure once retries are spent, or a non-retriable one
     */
    public ModelCall call(ModelRequest request) throws InterruptedException {
        long start = System.nanoTime();
        int retries = 0;
        while (true) {
            ModelResponse response;
            try {
                response = once(request);
            } catch (RetriableModelException e) {
                if (retries >= profile.maxRetries()) {
                    throw new RetriableModelException(e.getMessage() + " (gave up after " + (retries + 1) + " attempts)",
                            e.retryAfter().orElse(null), e);
                }
                Thread.sleep(backoff(retries, e).toMillis());
                retries++;
                continue;
            }
            long latency = (System.nanoTime() - start) / 1_000_000;
            return new ModelCall(response, retries, latency, profile.cost(response.inputTokens(), response.outputTokens()));
        }
    }

    private ModelResponse once(ModelRequest request) throws InterruptedException {
        int estimate = request.estimatedTokens() + (profile.maxTokens() == null ? 0 : profile.maxTokens());
        if (requests != null) requests.asBlocking().consume(1);
        if (tokens != null) tokens.asBlocking().consume(Math.min(estimate, profile.tokensPerMinute()));
        inFlight.acquire();
        try {
            ModelResponse r = model.generate(request);
            if (tokens != null) {
                int actual = r.inputTokens() + r.outputTokens();
                // An answer longer than estimated is charged to the calls that follow.
                if (actual > estimate) tokens.consumeIgnoringRateLimits(actual - estimate);
            }
            return r;
        } catch (RuntimeException e) {
            throw Failures.classify(profile.name(), e);
        } finally {
            inFlight.release();
        }
    }

    private Duration backoff(int retries, RetriableModelException e) {
        if (e.retryAfter().isPresent()) {
            Duration d = e.retryAfter().get();
            return d.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : d;
        }
        long base = profile.retryDelay() == null ? 1000 : profile.retryDelay().toMillis();
        long exp = Math.min(MAX_BACKOFF.toMillis(), base << Math.min(retries, 16));
        // Full jitter keeps a burst of 429s from retrying in lockstep.
        return Duration.ofMillis(exp / 2 + ThreadLocalRandom.current().nextLong(exp / 2 + 1));
    }
}
