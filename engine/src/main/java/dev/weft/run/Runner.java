package dev.weft.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.WeftException;
import dev.weft.model.ModelGateway;
import dev.weft.model.ModelProfile;
import dev.weft.report.DatasetCard;
import dev.weft.embed.TextEmbedder;
import dev.weft.report.QualityReport;
import dev.weft.retrieve.CorpusIndexes;
import dev.weft.sink.OrderedOutput;
import dev.weft.sink.OutputFormat;
import dev.weft.source.RecordReader;
import dev.weft.source.SourceRecord;
import dev.weft.store.Counters;
import dev.weft.spi.RecordOrder;
import dev.weft.store.RecordPath;
import dev.weft.store.RecordRow;
import dev.weft.store.RecordStatus;
import dev.weft.store.RunRow;
import dev.weft.store.RunStatus;
import dev.weft.store.Store;
import dev.weft.store.StoreException;
import dev.weft.template.TemplateEngine;
import dev.weft.workflow.Workflow;
import dev.weft.workflow.WorkflowLoader;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Starts and resumes runs: streams the source, runs each record on its own virtual thread
 * (at most {@code concurrency} at once), writes the output in source order, and keeps the store
 * current so that a killed run can be resumed without redoing finished work. One Runner runs one
 * run at a time; {@link #interrupt()} may be called from any thread (e.g. a Ctrl-C hook).
 */
public final class Runner {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PAGE = 1000;
    private static final int UNREACHABLE_LIMIT = 8;
    private final WorkflowLoader loader;
    private final TemplateEngine templates;
    private final Store store;
    private volatile boolean interrupted;
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile java.util.function.UnaryOperator<Workflow> prepare = java.util.function.UnaryOperator.identity();

    public Runner(WorkflowLoader loader, TemplateEngine templates, Store store) {
        this.loader = loader;
        this.templates = templates;
        this.store = store;
    }

    /** Asks the run to stop: no new record starts, the run is marked interrupted and can be resumed. */
    public void interrupt() {
        interrupted = true;
    }

    /**
     * Applied to the workflow that {@link #start} or {@link #resume} loads, before the run is recorded or
     * marked running: it may refuse it (throw) or return it with its nodes wrapped (the dashboard checks
     * that a run reads and writes only inside its folders, and counts the records in flight at each node).
     */
    public void prepare(java.util.function.UnaryOperator<Workflow> hook) {
        this.prepare = hook;
    }

    /** Waits (bounded) until the run has recorded how it ended; for a Ctrl-C hook. */
    public void awaitFinished(long millis) throws InterruptedException {
        finished.await(millis, TimeUnit.MILLISECONDS);
    }

    /** Checks the workflow, records a new run and runs it. */
    public RunResult start(Path workflowFile, RunOptions options, RunMonitor monitor) {
        Workflow wf = prepare.apply(loader.load(workflowFile, options.overrides()));
        ModelGateway gateway = gateway(wf, options);
        long now = System.currentTimeMillis();
        String id = RunIds.next();
        RunRow run = new RunRow(id, wf.name(), wf.file().toAbsolutePath().normalize().toString(), wf.hash(), bundleJson(wf),
                StoredOptions.write(options), RunStatus.RUNNING, simulated(wf, options), now, now, null, null, null,
                Counters.ZERO, wf.sink() == null ? null : wf.sink().path().toString(), RunRow.thisProcess());
        store.createRun(run);
        return execute(wf, run, options, gateway, monitor, false);
    }

    /**
     * Continues a run that did not complete: records already done or filtered are not redone,
     * failed ones are tried again, and every step that finished before is a cache hit.
     *
     * @param more extra overrides (e.g. a new base URL) and, if not null, a new concurrency
     */
    public RunResult resume(String runId, dev.weft.workflow.Overrides more, Integer concurrency, Map<String, String> environment,
                            RunMonitor monitor) {
        RunRow run = store.run(runId).orElseThrow(() -> new WeftException("no run '" + runId + "' in " + store.file()
                + "; `weft runs` lists the runs"));
        if (run.runningElsewhere()) {
            throw new WeftException("run " + runId + " is still running (process " + run.owner() + "); wait for it, or stop it"
                    + " with Ctrl-C, before resuming it");
        }
        RunOptions stored = StoredOptions.read(run.options(), environment);
        RunOptions options = stored.withOverrides(stored.overrides().plus(more));
        if (concurrency != null) options = options.withConcurrency(concurrency);
        Map<String, String> bundle;
        try {
            bundle = JSON.readValue(run.bundle(), new TypeReference<Map<String, String>>() {});
        } catch (JsonProcessingException e) {
            throw new WeftException("the stored workflow of run " + runId + " is unreadable: " + e.getOriginalMessage(), e);
        }
        Workflow wf = prepare.apply(loader.load(Path.of(run.workflowPath()), bundle, options.overrides()));
        ModelGateway gateway = gateway(wf, options);
        store.updateRunOptions(runId, StoredOptions.write(options), simulated(wf, options));
        store.updateRunStatus(runId, RunStatus.RUNNING, null, null);
        return execute(wf, run, options, gateway, monitor, true);
    }

    private ModelGateway gateway(Workflow wf, RunOptions options) {
        List<ModelProfile> profiles = wf.models().values().stream().map(p -> options.simulate() ? p.simulated() : p).toList();
        return new ModelGateway(profiles, options.environment(), options.cacheMode() == CacheMode.ONLY);
    }

    private static boolean simulated(Workflow wf, RunOptions options) {
        return !wf.models().isEmpty() && (options.simulate() || wf.models().values().stream().allMatch(ModelProfile::isSimulated));
    }

    private static String bundleJson(Workflow wf) {
        try {
            return JSON.writeValueAsString(wf.bundle());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private RunResult execute(Workflow wf, RunRow run, RunOptions options, ModelGateway gateway, RunMonitor monitor, boolean resuming) {
        long t0 = System.nanoTime();
        String runId = run.id();
        store.refreshCacheKeys(); // answers another process (a CLI run beside `weft serve`) wrote since this store was opened
        Counters before = resuming ? store.countersFromRows(runId) : Counters.ZERO;
        monitor.start(runId, before, resuming ? before.done() + before.filtered() : 0);
        countInBackground(wf, options, monitor, runId);
        // Formats, sinks and source formats are found by name through the SPI (built-ins and plugins).
        OutputFormat format = wf.sink() == null ? null : new OutputFormat(OutputFormat.find(wf.sink().format(), loader.kinds()), wf.sink().map(), templates);
        OrderedOutput output = wf.sink() == null ? null : new OrderedOutput(wf.sink().path(), 0, loader.kinds().sinkFor(wf.sink().path()));
        Semaphore window = new Semaphore(options.concurrency());
        int maxBuffered = Math.max(1024, options.concurrency() * 16);
        AtomicReference<Throwable> fatal = new AtomicReference<>();
        AtomicInteger unreachableInARow = new AtomicInteger();
        OrderGate gate = new OrderGate(wf);
        // Corpus indexes are loaded or built on first use, once for the whole run.
        CorpusIndexes indexes = new CorpusIndexes(store, TextEmbedder.builtIn(), monitor::activity);
        RunScope scope = new RunScope(wf, runId, templates, gateway, store, indexes, options.cacheMode(), monitor, format, gate, resuming);
        Settled settled = new Settled(runId, gate.active());
        RunStatus status = RunStatus.COMPLETED;
        String message = null;
        long progressAt = System.nanoTime();
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        try (RecordReader reader = RecordReader.open(wf.source(),
                wf.source().generate() != null ? null : loader.kinds().sourceFormat(wf.source().format()))) {
            long seq = 0;
            while (!interrupted && fatal.get() == null && (options.limit() == null || seq < options.limit()) && reader.hasNext()) {
                SourceRecord rec = reader.next();
                seq = rec.seq() + 1;
                Previous previous = settled.at(rec.seq());
                // Before any later record can decide at an ordered node: what earlier attempts decided for records that stay.
                if (previous != null) previous.restore(gate);
                if (previous != null && previous.isFinal(RecordPath.ROOT)) {
                    if (output != null) output.done(rec.seq(), previous.lines(RecordPath.ROOT, format));
                    monitor.sourceSettled(true);
                    continue;
                }
                while (output != null && output.buffered() > maxBuffered && fatal.get() == null && !interrupted) Thread.sleep(2);
                window.acquire();
                RecordRun record = RecordRun.source(scope, rec, previous);
                gate.enter(new RecordOrder(rec.seq(), RecordPath.ROOT), wf.start());
                threads.submit(() -> {
                    try {
                        RecordRun.Result r = record.run();
                        if (r.unreachable() == null) {
                            unreachableInARow.set(0);
                        } else if (unreachableInARow.incrementAndGet() >= UNREACHABLE_LIMIT) {
                            // Every record would fail the same way: stop, keep what is done, and say how to go on.
                            fatal.compareAndSet(null, new WeftException(r.unreachable()
                                    + " — " + UNREACHABLE_LIMIT + " records in a row could not reach the model server, so the run stopped; start the server"
                                    + " (or point to it with --model PROFILE.base_url=...) and run `weft resume " + runId + "`"));
                        }
                        if (output != null) output.done(rec.seq(), r.lines());
                        monitor.sourceSettled(false);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (Throwable e) {
                        fatal.compareAndSet(null, e);
                    } finally {
                        window.release();
                    }
                });
                if (System.nanoTime() - progressAt > 500_000_000L) {
                    store.progress(runId, monitor.snapshot());
                    progressAt = System.nanoTime();
                }
                if (store.failure().isPresent()) fatal.compareAndSet(null, store.failure().get());
            }
            if (interrupted) {
                threads.shutdownNow();
            } else {
                threads.shutdown();
                while (!threads.awaitTermination(200, TimeUnit.MILLISECONDS)) {
                    if (interrupted) {
                        threads.shutdownNow();
                        break;
                    }
                    store.progress(runId, monitor.snapshot());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            interrupted = true;
            threads.shutdownNow();
        } catch (WeftException e) {
            fatal.compareAndSet(null, e);
            threads.shutdownNow();
        } finally {
            if (output != null) {
                try {
                    output.close();
                } catch (WeftException e) {
                    fatal.compareAndSet(null, e);
                }
            }
        }
        if (store.failure().isPresent()) fatal.compareAndSet(null, store.failure().get());
        Throwable f = fatal.get();
        if (f != null) {
            status = RunStatus.FAILED;
            message = f instanceof WeftException ? f.getMessage() : "unexpected error: " + f;
        } else if (interrupted) {
            status = RunStatus.INTERRUPTED;
            message = "interrupted; continue with `weft resume " + runId + "`";
        }
        Counters counters = monitor.snapshot();
        try {
            store.progress(runId, counters);
            store.updateRunStatus(runId, status, message, status == RunStatus.COMPLETED ? System.currentTimeMillis() : null);
            if (status == RunStatus.COMPLETED) {
                counters = store.countersFromRows(runId);
                store.progress(runId, counters);
                store.flush();
                if (wf.sink() != null) message = writeCard(wf, runId, counters, simulated(wf, options));
            }
        } catch (StoreException e) {
            status = RunStatus.FAILED;
            message = e.getMessage() + "; what was written before is kept: fix the cause and run `weft resume " + runId + "`";
        } finally {
            finished.countDown();
        }
        return new RunResult(runId, wf.name(), status, message, counters, wf.sink() == null ? null : wf.sink().path(),
                output == null ? 0 : output.written(), simulated(wf, options), (System.nanoTime() - t0) / 1e9);
    }

    /** Writes the dataset card beside the output; a card that cannot be written is said, not fatal. */
    private String writeCard(Workflow wf, String runId, Counters counters, boolean simulated) {
        try {
            QualityReport quality = QualityReport.of(store, runId, wf, counters);
            java.nio.file.Path card = DatasetCard.write(new DatasetCard.Facts(runId, wf, counters, simulated, System.currentTimeMillis()),
                    wf.sink().path(), quality);
            return card.getFileName().toString().equals("README.md") ? null
                    : "the dataset card is " + card + " (the README.md beside the output was not written by Weft, so it was left alone)";
        } catch (java.io.IOException | WeftException e) {
            return "the dataset card could not be written: " + e.getMessage();
        }
    }

    /** Counts the source's records on the side, so that progress can show a total and an ETA. */
    private void countInBackground(Workflow wf, RunOptions options, RunMonitor monitor, String runId) {
        Thread.ofVirtual().name("weft-count").start(() -> {
            long n = -1;
            if (wf.source().generate() != null) {
                n = wf.source().generate();
            } else if (wf.source().format().equals("jsonl") || wf.source().format().equals("csv")) {
                try (BufferedReader r = Files.newBufferedReader(wf.source().path(), StandardCharsets.UTF_8)) {
                    long lines = 0;
                    String l;
                    while ((l = r.readLine()) != null) if (!l.isBlank()) lines++;
                    n = wf.source().format().equals("csv") ? Math.max(0, lines - 1) : lines;
                } catch (IOException | RuntimeException e) {
                    n = -1;
                }
            }
            if (n >= 0 && options.limit() != null) n = Math.min(n, options.limit());
            if (n >= 0) {
                monitor.total(n);
                try {
                    store.updateRunTotal(runId, n);
                } catch (StoreException ignored) {
                    // the run's own loop reports store failures
                }
            }
        });
    }

    /**
     * The records a run settled before, read page by page in source order alongside the source:
     * each source position's rows (the source record's and its children's) and, when the workflow
     * has ordered nodes, their steps' notes.
     */
    private final class Settled {
        private final String runId;
        private final boolean notes;
        private final ArrayDeque<Map.Entry<Long, Previous>> page = new ArrayDeque<>();
        private long after = -1;
        private boolean exhausted;

        Settled(String runId, boolean notes) {
            this.runId = runId;
            this.notes = notes;
        }

        Previous at(long seq) {
            while (true) {
                if (page.isEmpty()) {
                    if (exhausted) return null;
                    List<RecordRow> rows = store.records(runId, after, PAGE);
                    if (rows.isEmpty()) {
                        exhausted = true;
                        return null;
                    }
                    TreeMap<Long, Previous> bySeq = new TreeMap<>();
                    for (RecordRow r : rows) bySeq.computeIfAbsent(r.seq(), k -> new Previous()).add(r);
                    if (notes) {
                        for (Store.Note n : store.notes(runId, bySeq.firstKey(), bySeq.lastKey())) {
                            Previous p = bySeq.get(n.seq());
                            if (p != null) p.add(n);
                        }
                    }
                    page.addAll(bySeq.entrySet());
                    after = bySeq.lastKey();
                }
                long head = page.peekFirst().getKey();
                if (head < seq) {
                    page.pollFirst();
                } else {
                    return head == seq ? page.pollFirst().getValue() : null;
                }
            }
        }
    }
}
