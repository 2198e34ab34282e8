package dev.weft.embed;

/**
 * Turns a text into a unit-length vector, so that the cosine of two texts is their dot product.
 * Used by {@code dedup} (embedding mode) and {@code retrieve}. Implementations must be thread-safe
 * and deterministic: the same text gives the same vector, bit for bit, in every run — a dedup's kept
 * set and a retrieval's ranking depend on it.
 */
public interface TextEmbedder {
    /** Names the model and its version; part of every cache key and stored index built from its vectors. */
    String id();

    /** The length of every vector. */
    int dimension();

    /** The text's vector, of length {@link #dimension()} and norm 1 (all zeros for a text with no tokens). */
    float[] embed(String text);

    /** The embedder that ships with Weft (all-MiniLM-L6-v2, in-process); loaded on first use. */
    static TextEmbedder builtIn() {
        return MiniLmEmbedder.shared();
    }

    /** The dot product, which for unit vectors is the cosine similarity. */
    static double cosine(float[] a, float[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("vectors of length " + a.length + " and " + b.length);
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }
}
