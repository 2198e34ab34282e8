package dev.weft.retrieve;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.embed.TextEmbedder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * A corpus's chunks and their vectors, in memory, searched by exact cosine over every chunk (brute
 * force: about N × 384 multiply-adds a query). Ties rank in corpus order, so a ranking never depends
 * on timing. The query is embedded on the first search; an index used only to look chunks up (a
 * replayed run) never loads the embedding model. Immutable; thread-safe.
 */
public final class CorpusIndex {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Comparator<Hit> WORST_FIRST = Comparator.comparingDouble(Hit::score).thenComparing(Hit::chunk, Comparator.reverseOrder());
    private final String id;
    private final Corpus corpus;
    private final TextEmbedder embedder;
    private final int dimension;
    private final float[] vectors;
    private final String[] files;
    private final int[] lines;
    private final String[] texts;
    private final String[] metas;

    CorpusIndex(String id, Corpus corpus, TextEmbedder embedder, int dimension, List<CorpusReader.Chunk> chunks, float[] vectors) {
        this.id = id;
        this.corpus = corpus;
        this.embedder = embedder;
        this.dimension = dimension;
        this.vectors = vectors;
        int n = chunks.size();
        files = new String[n];
        lines = new int[n];
        texts = new String[n];
        metas = new String[n];
        for (int i = 0; i < n; i++) {
            CorpusReader.Chunk c = chunks.get(i);
            files[i] = c.file().intern(); // a few names shared by thousands of chunks
            lines[i] = c.line();
            texts[i] = c.text();
            metas[i] = c.meta();
        }
        if (vectors.length != n * dimension) throw new IllegalArgumentException(vectors.length + " values for " + n + " chunks");
    }

    /** A chunk's number in the corpus (files in path order, then text order) and its cosine to the query. */
    public record Hit(int chunk, double score) {}

    /** The key this index is stored under: corpus content, chunking and embedder. */
    public String id() {
        return id;
    }

    public int size() {
        return texts.length;
    }

    /**
     * The {@code k} chunks closest to the query, best first, leaving out those whose cosine is below
     * {@code minScore}; equal scores in corpus order.
     */
    public List<Hit> search(String query, int k, double minScore) {
        float[] q = embedder.embed(query);
        if (q.length != dimension) throw new IllegalStateException("a query vector of " + q.length + " values for an index of " + dimension);
        PriorityQueue<Hit> best = new PriorityQueue<>(k + 1, WORST_FIRST);
        for (int i = 0, base = 0; i < texts.length; i++, base += dimension) {
            double s = 0;
            for (int j = 0; j < dimension; j++) s += (double) q[j] * vectors[base + j];
            if (s < minScore) continue;
            Hit h = new Hit(i, s);
            if (best.size() < k) best.add(h);
            else if (WORST_FIRST.compare(h, best.peek()) > 0) {
                best.poll();
                best.add(h);
            }
        }
        List<Hit> out = new ArrayList<>(best);
        out.sort(WORST_FIRST.reversed());
        return out;
    }

    public String text(int chunk) {
        return texts[chunk];
    }

    /** Where the chunk is, from the workflow's folder: {@code docs/guide.md:12}. */
    public String source(int chunk) {
        return corpus.source(files[chunk], lines[chunk]);
    }

    /** A jsonl record's other fields, or a markdown chunk's {@code heading}; empty for text. */
    public Map<String, Object> meta(int chunk) {
        try {
            return JSON.readValue(metas[chunk], new TypeReference<LinkedHashMap<String, Object>>() {});
        } catch (IOException e) {
            throw new IllegalStateException("stored chunk metadata is not JSON: " + e.getMessage(), e);
        }
    }

    // ---- what the store keeps of it

    String file(int chunk) {
        return files[chunk];
    }

    int line(int chunk) {
        return lines[chunk];
    }

    String metaJson(int chunk) {
        return metas[chunk];
    }

    /** The chunk's vector as float32 little-endian bytes. */
    byte[] vectorBytes(int chunk) {
        ByteBuffer b = ByteBuffer.allocate(dimension * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(vectors, chunk * dimension, dimension);
        return b.array();
    }

    /** Reads float32 little-endian bytes into {@code into} at {@code offset}. */
    static void readVector(byte[] bytes, float[] into, int offset, int dimension) {
        if (bytes.length != dimension * Float.BYTES) throw new IllegalArgumentException(bytes.length + " bytes for " + dimension + " floats");
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(into, offset, dimension);
    }
}
