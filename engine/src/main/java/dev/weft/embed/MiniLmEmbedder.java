package dev.weft.embed;

import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;

/**
 * all-MiniLM-L6-v2 (384 dimensions) on ONNX Runtime, through langchain4j's in-process embedding
 * module: nothing is downloaded at run time. The model (about 90 MB, a few seconds) is loaded once,
 * on the first {@link #embed}, and shared: {@link #id()} alone does not load it, so a replay that
 * only needs to know which embedder made a stored index never pays for it. Thread-safe.
 */
final class MiniLmEmbedder implements TextEmbedder {
    // Part of cache keys: bump together with the langchain4j-embeddings version in the pom if vectors may change.
    private static final String ID = "all-MiniLM-L6-v2/langchain4j-embeddings-1.18.1-beta28";

    private static final class Model {
        static final AllMiniLmL6V2EmbeddingModel INSTANCE = new AllMiniLmL6V2EmbeddingModel();
    }

    private static final class Holder {
        static final MiniLmEmbedder INSTANCE = new MiniLmEmbedder();
    }

    static MiniLmEmbedder shared() {
        return Holder.INSTANCE;
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public int dimension() {
        return 384;
    }

    @Override
    public float[] embed(String text) {
        float[] v = text == null || text.isBlank() ? new float[dimension()] : Model.INSTANCE.embed(text).content().vector();
        return normalised(v);
    }

    private static float[] normalised(float[] v) {
        double n = 0;
        for (float x : v) n += (double) x * x;
        if (n == 0) return v;
        double inv = 1 / Math.sqrt(n);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (float) (v[i] * inv);
        return out;
    }
}
