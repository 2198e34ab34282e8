package dev.weft.run;

import dev.weft.store.Counters;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * A run's live counters, updated by every record thread and read by progress displays.
 * Thread-safe.
 */
public final class RunMonitor {
    private final LongAdder done = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder filtered = new LongAdder();
    private final LongAdder steps = new LongAdder();
    private final LongAdder calls = new LongAdder();
    private final LongAdder cacheHits = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder tokensIn = new LongAdder();
    private final LongAdder tokensOut = new LongAdder();
    private final DoubleAdder cost = new DoubleAdder();
    private final LongAdder sources = new LongAdder();
    private final LongAdder sourcesBefore = new LongAdder();
    private final AtomicLong total = new AtomicLong(-1);
    private volatile String runId;
    private final long startedNanos = System.nanoTime();
    private volatile long finishedAtStart;
    private volatile String activity;

    void start(String id, Counters previous, long finishedBefore) {
        this.runId = id;
        this.finishedAtStart = finishedBefore;
        done.add(previous.done());
        failed.add(previous.failed());
        filtered.add(previous.filtered());
        steps.add(previous.steps());
        calls.add(previous.calls());
        cacheHits.add(previous.cacheHits());
        retries.add(previous.retries());
        tokensIn.add(previous.tokensIn());
        tokensOut.add(previous.tokensOut());
        cost.add(previous.cost());
    }

    public String runId() {
        return runId;
    }

    /** Source records in this run, or -1 while unknown. */
    public long total() {
        return total.get();
    }

    void total(long t) {
        total.set(t);
    }

    /**
     * Source records settled so far with all their children (what {@link #total()} counts; without
     * explode nodes, the same as {@code snapshot().finished()}), including those a resumed run found
     * settled before it.
     */
    public long sourcesSettled() {
        return sources.sum();
    }

    /** Of {@link #sourcesSettled()}, those settled before this attempt began (a resumed run); rate and ETA leave them out. */
    public long sourcesSettledBefore() {
        return sourcesBefore.sum();
    }

    void sourceSettled(boolean before) {
        sources.increment();
        if (before) sourcesBefore.increment();
    }

    /** Records settled before this attempt began (a resumed run); rate and ETA leave them out. */
    public long finishedAtStart() {
        return finishedAtStart;
    }

    /**
     * What the run is busy with besides records, e.g. "node 'context': indexing corpus docs/: 120/400
     * chunks" while records wait for it; null when nothing.
     */
    public String activity() {
        return activity;
    }

    void activity(String what) {
        activity = what;
    }

    public double elapsedSeconds() {
        return (System.nanoTime() - startedNanos) / 1e9;
    }

    void record(dev.weft.store.RecordStatus s) {
        switch (s) {
            case DONE -> done.increment();
            case FAILED -> failed.increment();
            case FILTERED -> filtered.increment();
        }
    }

    void unrecord(dev.weft.store.RecordStatus s) {
        switch (s) {
            case DONE -> done.decrement();
            case FAILED -> failed.decrement();
            case FILTERED -> filtered.decrement();
        }
    }

    void step(int callCount, int hits, int retryCount, long in, long out, double c) {
        steps.increment();
        calls.add(callCount);
        cacheHits.add(hits);
        retries.add(retryCount);
        tokensIn.add(in);
        tokensOut.add(out);
        cost.add(c);
    }

    public Counters snapshot() {
        return new Counters(done.sum(), failed.sum(), filtered.sum(), steps.sum(), calls.sum(), cacheHits.sum(),
                retries.sum(), tokensIn.sum(), tokensOut.sum(), cost.sum());
    }
}
