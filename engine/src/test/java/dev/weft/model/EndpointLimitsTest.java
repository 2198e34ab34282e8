package dev.weft.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** A profile's request- and token-rate limits hold back calls beyond the budget. */
class EndpointLimitsTest {
    private static ModelProfile profile(Integer rpm, Integer tpm) {
        return new ModelProfile("sim", ModelProfile.SIMULATED, "sim-1", null, null, null, null, null, null,
                64, rpm, tpm, null, 0, null, 0, 0, null);
    }

    private static long callsTake(Endpoint e, int calls, String prompt) throws Exception {
        long t0 = System.nanoTime();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<ModelCall>> futures = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                String p = prompt + " " + i;
                futures.add(pool.submit(() -> e.call(ModelRequest.of(List.of(ChatMessage.user(p))))));
            }
            for (Future<ModelCall> f : futures) f.get();
        }
        return Duration.ofNanos(System.nanoTime() - t0).toMillis();
    }

    @Test
    void requestsPerMinuteAllowsTheBudgetAtOnceThenSpacesTheRest() throws Exception {
        ModelProfile p = profile(60, null); // a burst of 60, then one a second
        Endpoint e = new Endpoint(p, Providers.create(p, Map.of()));
        assertTrue(callsTake(e, 60, "q") < 1000, "the first minute's budget is not held back");
        long extra = callsTake(e, 2, "r");
        assertTrue(extra >= 1500, "two calls past the budget wait about a second each, took " + extra + " ms");
    }

    @Test
    void tokensPerMinuteHoldsBackLargePrompts() throws Exception {
        ModelProfile p = profile(null, 6000); // a burst of 6000 tokens, then 100 a second
        Endpoint e = new Endpoint(p, Providers.create(p, Map.of()));
        String big = "word ".repeat(2480); // about 3100 tokens a call: the second call is ~250 tokens short
        long first = callsTake(e, 1, big);
        long second = callsTake(e, 1, big);
        assertTrue(first < 1000, "the first call fits the budget: " + first + " ms");
        assertTrue(second >= 1500, "the next waits for the bucket to refill: " + second + " ms");
    }
}
