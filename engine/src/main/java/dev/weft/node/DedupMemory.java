package dev.weft.node;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.embed.TextEmbedder;
import dev.weft.spi.OrderedMemory;
import dev.weft.spi.RecordOrder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The records one dedup node kept during a run, indexed for its method: by normalised text (every
 * method: equal texts are duplicates), by MinHash LSH band, or as a list of embedding vectors
 * (searched in full: exact, and fine for tens of thousands of kept records). A duplicate is
 * looked for among the kept records before the deciding one — the order gate makes that every
 * record kept so far in a run — and among every record restored from an earlier attempt of a
 * resumed run: those are written already, so a record retried now that duplicates a later one is
 * the one dropped (an uninterrupted run would have kept it instead; the output holds no duplicate
 * either way). Thread-safe.
 */
final class DedupMemory implements OrderedMemory {
    private static final ObjectMapper JSON = new ObjectMapper();

    enum Method { EXACT, MINHASH, EMBEDDING }

    /** A text as this memory compares it. */
    record Probe(String text, String key, long[] signature, float[] vector) {}

    /**
     * A kept record.
     *
     * @param restored kept in an earlier attempt of a resumed run (and already written)
     */
    record Entry(RecordOrder order, String recordId, Probe probe, boolean restored) {
        /** Whether a record at {@code order} must not keep a text this entry duplicates. */
        boolean counts(RecordOrder order) {
            return restored || this.order.compareTo(order) < 0;
        }
    }

    /** The kept record a text duplicates, and how similar they are. */
    record Match(Entry entry, double similarity) {}

    private final Method method;
    private final double threshold;
    private final MinHasher hasher;
    private final TextEmbedder embedder;
    private final Map<String, Entry> byKey = new HashMap<>(); // the earliest kept record per normalised text
    private final List<Map<Long, List<Entry>>> bands = new ArrayList<>();
    private final List<Entry> vectors = new ArrayList<>();

    DedupMemory(Method method, double threshold, MinHasher hasher, TextEmbedder embedder) {
        this.method = method;
        this.threshold = threshold;
        this.hasher = hasher;
        this.embedder = embedder;
    }

    /** How a text is compared; the costly part (a signature, an embedding), done before the record's turn. */
    Probe probe(String text) {
        return probe(method, hasher, embedder, text);
    }

    static Probe probe(Method method, MinHasher hasher, TextEmbedder embedder, String text) {
        String key = TextKey.of(text);
        return switch (method) {
            case EXACT -> new Probe(text, key, null, null);
            case MINHASH -> new Probe(text, key, hasher.signature(key), null);
            case EMBEDDING -> new Probe(text, key, null, embedder.embed(text));
        };
    }

    /** The most similar kept record that counts for {@code order} at or above the threshold (the earliest of equals), or null. */
    synchronized Match find(RecordOrder order, Probe probe) {
        Match best = null;
        Entry same = byKey.get(probe.key());
        if (same != null && same.counts(order)) best = new Match(same, 1.0);
        if (method == Method.MINHASH) {
            Map<Entry, Boolean> seen = new IdentityHashMap<>();
            long[] keys = hasher.bandKeys(probe.signature());
            for (int b = 0; b < keys.length && b < bands.size(); b++) {
                for (Entry e : bands.get(b).getOrDefault(keys[b], List.of())) {
                    if (seen.put(e, Boolean.TRUE) != null || !e.counts(order)) continue;
                    best = better(best, e, MinHasher.similarity(probe.signature(), e.probe().signature()));
                }
            }
        } else if (method == Method.EMBEDDING) {
            for (Entry e : vectors) {
                if (!e.counts(order)) continue;
                best = better(best, e, TextEmbedder.cosine(probe.vector(), e.probe().vector()));
            }
        }
        return best;
    }

    private Match better(Match best, Entry e, double similarity) {
        if (similarity < threshold) return best;
        if (best == null || similarity > best.similarity()
                || (similarity == best.similarity() && e.order().compareTo(best.entry().order()) < 0)) {
            return new Match(e, similarity);
        }
        return best;
    }

    synchronized void add(Entry e) {
        byKey.merge(e.probe().key(), e, (a, b) -> a.order().compareTo(b.order()) <= 0 ? a : b);
        if (method == Method.MINHASH) {
            long[] keys = hasher.bandKeys(e.probe().signature());
            while (bands.size() < keys.length) bands.add(new HashMap<>());
            for (int b = 0; b < keys.length; b++) bands.get(b).computeIfAbsent(keys[b], k -> new ArrayList<>()).add(e);
        } else if (method == Method.EMBEDDING) {
            vectors.add(e);
        }
    }

    /** What the store keeps of a kept record: its text and, for embeddings, its vector and the embedder's id. */
    String note(Probe probe) {
        ObjectNode n = JSON.createObjectNode();
        n.put("text", probe.text());
        if (probe.vector() != null) {
            ByteBuffer b = ByteBuffer.allocate(probe.vector().length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : probe.vector()) b.putFloat(f);
            n.put("embedder", embedder.id());
            n.put("vector", Base64.getEncoder().encodeToString(b.array()));
        }
        return n.toString();
    }

    @Override
    public void restore(RecordOrder order, String recordId, String note) {
        JsonNode n;
        try {
            n = JSON.readTree(note);
        } catch (JsonProcessingException e) {
            return; // not a note of ours: the record is compared again when it runs
        }
        String text = n.path("text").asText();
        Probe probe;
        if (method == Method.EMBEDDING && embedder.id().equals(n.path("embedder").asText()) && n.hasNonNull("vector")) {
            ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(n.get("vector").asText())).order(ByteOrder.LITTLE_ENDIAN);
            float[] v = new float[b.remaining() / 4];
            for (int i = 0; i < v.length; i++) v[i] = b.getFloat();
            probe = new Probe(text, TextKey.of(text), null, v);
        } else {
            probe = probe(text); // another embedder made the vector: make it again
        }
        add(new Entry(order, recordId, probe, true));
    }
}
