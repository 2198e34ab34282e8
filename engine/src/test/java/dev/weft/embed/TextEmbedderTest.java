package dev.weft.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The built-in in-process embedder: meaning-based similarity, unit vectors, and the same bits every time, from any thread. */
class TextEmbedderTest {
    private final TextEmbedder embedder = TextEmbedder.builtIn();

    @Test
    void paraphrasesAreCloserThanUnrelatedTexts() {
        float[] a = embedder.embed("How do I reset my password?");
        float[] b = embedder.embed("What are the steps to change a forgotten password?");
        float[] c = embedder.embed("The volcano erupted and covered the village in ash.");
        assertEquals(384, a.length);
        assertEquals(1.0, TextEmbedder.cosine(a, a), 1e-5);
        double close = TextEmbedder.cosine(a, b);
        double far = TextEmbedder.cosine(a, c);
        assertTrue(close > 0.6, "paraphrase cosine " + close);
        assertTrue(far < 0.3, "unrelated cosine " + far);
    }

    @Test
    void sameTextSameBitsAcrossThreads() throws Exception {
        String text = "A fox jumps over the lazy dog near the river bank.";
        float[] first = embedder.embed(text);
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<float[]>> all = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                String t = i % 2 == 0 ? text : "other text number " + i;
                all.add(pool.submit(() -> embedder.embed(t)));
            }
            for (int i = 0; i < 16; i += 2) assertArrayEquals(first, all.get(i).get());
        }
    }

    @Test
    void blankTextIsTheZeroVector() {
        float[] v = embedder.embed("   ");
        assertEquals(0.0, TextEmbedder.cosine(v, v));
    }
}
