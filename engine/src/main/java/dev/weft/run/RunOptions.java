package dev.weft.run;

import dev.weft.workflow.Overrides;
import java.util.Map;

/**
 * How to run a workflow. Immutable.
 *
 * @param concurrency records in flight at once
 * @param limit       only the first N source records; null for all
 * @param simulate    answer every model profile with the offline simulator
 * @param environment where API keys are read from (normally System.getenv())
 */
public record RunOptions(int concurrency, Long limit, CacheMode cacheMode, boolean simulate, Overrides overrides,
                         Map<String, String> environment) {
    public static final int DEFAULT_CONCURRENCY = 64;

    public RunOptions {
        if (concurrency < 1) throw new IllegalArgumentException("--concurrency must be at least 1");
        if (limit != null && limit < 0) throw new IllegalArgumentException("--limit cannot be negative");
        environment = Map.copyOf(environment);
    }

    public static RunOptions defaults() {
        return new RunOptions(DEFAULT_CONCURRENCY, null, CacheMode.USE, false, Overrides.NONE, System.getenv());
    }

    public RunOptions withConcurrency(int c) {
        return new RunOptions(c, limit, cacheMode, simulate, overrides, environment);
    }

    public RunOptions withLimit(Long l) {
        return new RunOptions(concurrency, l, cacheMode, simulate, overrides, environment);
    }

    public RunOptions withCacheMode(CacheMode m) {
        return new RunOptions(concurrency, limit, m, simulate, overrides, environment);
    }

    public RunOptions withSimulate(boolean s) {
        return new RunOptions(concurrency, limit, cacheMode, s, overrides, environment);
    }

    public RunOptions withOverrides(Overrides o) {
        return new RunOptions(concurrency, limit, cacheMode, simulate, o, environment);
    }

    public RunOptions withEnvironment(Map<String, String> env) {
        return new RunOptions(concurrency, limit, cacheMode, simulate, overrides, env);
    }

    /** Without the environment's values: they hold API keys, and a record's own toString would print them. */
    @Override
    public String toString() {
        return "RunOptions[concurrency=" + concurrency + ", limit=" + limit + ", cacheMode=" + cacheMode + ", simulate=" + simulate
                + ", overrides=" + overrides + ", environment=" + environment.size() + " variables]";
    }
}
