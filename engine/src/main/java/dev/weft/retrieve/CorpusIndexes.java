package dev.weft.retrieve;

import dev.weft.WeftException;
import dev.weft.embed.TextEmbedder;
import dev.weft.spi.StepFailedException;
import dev.weft.store.IndexTables;
import dev.weft.store.Store;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The corpus indexes of one run: each is loaded from the store, or built (read, chunked, embedded)
 * and stored, the first time a record needs it — exactly once, however many records ask at the
 * same moment; they wait for it. An index that cannot be built fails every record that needs it with
 * the same message, and is not tried again in this run. While an index loads or builds, what is
 * happening is told to {@code activity} (a progress display), then null. Thread-safe.
 */
public final class CorpusIndexes {
    private static final long PROGRESS_NANOS = 500_000_000L;
    private final IndexTables tables;
    private final TextEmbedder embedder;
    private final Consumer<String> activity;
    private final ConcurrentHashMap<String, CompletableFuture<CorpusIndex>> indexes = new ConcurrentHashMap<>();
    private final AtomicInteger built = new AtomicInteger();
    private final AtomicInteger loaded = new AtomicInteger();

    public CorpusIndexes(Store store, TextEmbedder embedder, Consumer<String> activity) {
        this.tables = new IndexTables(store);
        this.embedder = embedder;
        this.activity = activity;
    }

    /** Indexes this run built (embedded) so far. */
    public int built() {
        return built.get();
    }

    /** Indexes this run loaded from the store so far. */
    public int loaded() {
        return loaded.get();
    }

    /**
     * The corpus's index, as chunked by its settings with this run's embedder.
     *
     * @param node the node that asks, for progress messages
     * @throws StepFailedException when it cannot be built (the message names the file and line)
     */
    public CorpusIndex get(Corpus corpus, String node) throws InterruptedException {
        String id = corpus.indexId(embedder.id());
        while (true) {
            CompletableFuture<CorpusIndex> mine = new CompletableFuture<>();
            CompletableFuture<CorpusIndex> f = indexes.putIfAbsent(id, mine);
            if (f == null) {
                f = mine;
                try {
                    mine.complete(loadOrBuild(id, corpus, node));
                } catch (InterruptedException e) {
                    // Stopped, not failed: whoever asks next builds it.
                    indexes.remove(id, mine);
                    mine.completeExceptionally(e);
                    throw e;
                } catch (RuntimeException | Error e) {
                    mine.completeExceptionally(e);
                }
            }
            try {
                return f.get();
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof InterruptedException) continue;
                if (cause instanceof WeftException w) throw new StepFailedException(w.getMessage(), w);
                throw new StepFailedException("cannot index corpus " + corpus.describe() + ": " + cause, cause);
            }
        }
    }

    private CorpusIndex loadOrBuild(String id, Corpus corpus, String node) throws InterruptedException {
        try {
            activity.accept("node '" + node + "': loading the index of corpus " + corpus.describe());
            Optional<CorpusIndex> stored = load(id, corpus);
            if (stored.isPresent()) {
                loaded.incrementAndGet();
                return stored.get();
            }
            CorpusIndex index = build(id, corpus, node);
            built.incrementAndGet();
            return index;
        } finally {
            activity.accept(null);
        }
    }

    private Optional<CorpusIndex> load(String id, Corpus corpus) {
        Optional<IndexTables.Header> header = tables.header(id);
        if (header.isEmpty() || header.get().dimension() != embedder.dimension()) return Optional.empty();
        List<IndexTables.Chunk> rows = tables.chunks(id);
        if (rows.size() != header.get().chunks()) return Optional.empty();
        int d = embedder.dimension();
        float[] vectors = new float[rows.size() * d];
        List<CorpusReader.Chunk> chunks = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            IndexTables.Chunk r = rows.get(i);
            if (r.n() != i) return Optional.empty();
            chunks.add(new CorpusReader.Chunk(r.file(), r.line(), r.text(), r.meta()));
            CorpusIndex.readVector(r.vector(), vectors, i * d, d);
        }
        return Optional.of(new CorpusIndex(id, corpus, embedder, d, chunks, vectors));
    }

    private CorpusIndex build(String id, Corpus corpus, String node) throws InterruptedException {
        long t0 = System.nanoTime();
        activity.accept("node '" + node + "': reading corpus " + corpus.describe());
        List<CorpusReader.Chunk> chunks = CorpusReader.read(corpus);
        if (chunks.isEmpty()) {
            throw new CorpusException("corpus " + corpus.describe() + " has no text to index: every file or record in it is blank");
        }
        float[] vectors = embed(chunks, "node '" + node + "': indexing corpus " + corpus.describe() + ": ");
        CorpusIndex index = new CorpusIndex(id, corpus, embedder, embedder.dimension(), chunks, vectors);
        List<IndexTables.Chunk> rows = new ArrayList<>(index.size());
        for (int i = 0; i < index.size(); i++) {
            rows.add(new IndexTables.Chunk(i, index.file(i), index.line(i), index.text(i), index.metaJson(i), index.vectorBytes(i)));
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        tables.save(new IndexTables.Header(id, corpus.digest(), corpus.settingsJson(), embedder.id(), embedder.dimension(), rows.size(),
                millis, 1, System.currentTimeMillis()), rows);
        return index;
    }

    /** Every chunk's vector, on a few threads (the model's own threads leave cores idle on short texts). */
    private float[] embed(List<CorpusReader.Chunk> chunks, String progress) throws InterruptedException {
        int n = chunks.size();
        int d = embedder.dimension();
        float[] out = new float[n * d];
        AtomicInteger next = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        int threads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        ExecutorService pool = Executors.newFixedThreadPool(threads, Thread.ofPlatform().name("weft-embed-", 0).daemon(true).factory());
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                workers.add(pool.submit(() -> {
                    int i;
                    while ((i = next.getAndIncrement()) < n && !Thread.currentThread().isInterrupted()) {
                        float[] v = embedder.embed(chunks.get(i).text());
                        System.arraycopy(v, 0, out, i * d, d);
                        done.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> w : workers) {
                while (true) {
                    activity.accept(progress + done.get() + "/" + n + " chunks");
                    try {
                        w.get(PROGRESS_NANOS, TimeUnit.NANOSECONDS);
                        break;
                    } catch (TimeoutException stillEmbedding) {
                        // report progress and wait again
                    } catch (ExecutionException e) {
                        Throwable c = e.getCause();
                        throw new CorpusException("cannot embed the corpus: " + (c.getMessage() == null ? c.toString() : c.getMessage()));
                    }
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
