package dev.weft.node;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.embed.TextEmbedder;
import dev.weft.spi.Node;
import dev.weft.spi.NodeConfig;
import dev.weft.spi.AbstractNodeKind;
import dev.weft.spi.OrderedMemory;
import dev.weft.spi.StepContext;
import dev.weft.spi.StepOutcome;
import dev.weft.template.Expression;
import dev.weft.template.FieldRead;
import dev.weft.template.Template;
import dev.weft.yaml.Shape;
import dev.weft.yaml.YamlValue;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code kind: dedup}: drops a record whose text duplicates a record kept before it — the same
 * normalised text ({@code exact}), a MinHash-estimated Jaccard similarity of its shingles at or
 * above {@code threshold} ({@code minhash}, with LSH), or a cosine similarity of its sentence
 * embedding at or above {@code threshold} ({@code embedding}, all-MiniLM-L6-v2 in-process).
 * "Before" is record order (source order, an explode's children by position), and records pass
 * the node in that order whatever the concurrency, so the kept set is the same in every run.
 * A dropped record is filtered with the reason "duplicate of ID (METHOD SIMILARITY)".
 */
public final class DedupKind extends AbstractNodeKind {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> MINHASH_KEYS = List.of("shingle", "shingle_size", "permutations", "bands");
    private static final Shape.Obj SHAPE = Shape.Obj.builder(null)
            .required("field", Shape.string("The text compared: an expression (question) or a template ({{ question }} / {{ answer }})."))
            .optional("method", Shape.oneOf(List.of("exact", "minhash", "embedding"),
                    "exact (default: the same text, ignoring case, spaces and punctuation), minhash (Jaccard similarity of shingles) or"
                            + " embedding (cosine similarity of sentence embeddings)."))
            .optional("threshold", Shape.number(0.0, 1.0, "minhash: the Jaccard similarity (default 0.8), embedding: the cosine"
                    + " similarity (default 0.9) at or above which a record is a duplicate. Not for exact."))
            .optional("shingle", Shape.oneOf(List.of("chars", "words"), "minhash: shingles of characters (default) or of words."))
            .optional("shingle_size", Shape.integer(1L, 20L, "minhash: characters or words per shingle (default 5 chars, 3 words)."))
            .optional("permutations", Shape.integer(8L, 1024L, "minhash: hash functions in a signature (default 128)."))
            .optional("bands", Shape.integer(1L, 1024L, "minhash: LSH bands; divides permutations (default 32)."))
            .build();

    public DedupKind() {
        super("dedup", 1,
                "Drops records whose text duplicates an earlier kept record: exact, MinHash (Jaccard) or embedding (cosine); the same set in every run.",
                SHAPE);
    }

    @Override
    public Node configure(NodeConfig config) {
        YamlValue.Mapping y = config.yaml();
        String who = "node '" + config.nodeName() + "': ";
        boolean ok = true;
        YamlValue field = y.get("field");
        Template template = null;
        Expression expression = null;
        String source = String.valueOf(field.toPlain());
        if (source.contains("{{") || source.contains("{%")) {
            template = config.template(field);
            ok &= template != null;
        } else {
            expression = config.expression(field);
            ok &= expression != null;
        }
        DedupMemory.Method method = y.get("method") == null ? DedupMemory.Method.EXACT
                : DedupMemory.Method.valueOf(String.valueOf(y.get("method").toPlain()).toUpperCase(Locale.ROOT));
        if (method == DedupMemory.Method.EXACT && y.has("threshold")) {
            config.problems().add(y.keyLocation("threshold"), who + "`threshold` is for method minhash or embedding; exact drops only"
                    + " records with the same text (ignoring case, spaces and punctuation): remove it, or choose a method that measures similarity");
            ok = false;
        }
        if (method != DedupMemory.Method.MINHASH) {
            for (String k : MINHASH_KEYS) {
                if (y.has(k)) {
                    config.problems().add(y.keyLocation(k), who + "`" + k + "` is for method minhash, and this node's method is "
                            + method.name().toLowerCase(Locale.ROOT));
                    ok = false;
                }
            }
        }
        double threshold = y.get("threshold") instanceof YamlValue.Scalar s ? ((Number) s.toPlain()).doubleValue()
                : method == DedupMemory.Method.EMBEDDING ? 0.9 : 0.8;
        boolean words = "words".equals(plain(y, "shingle"));
        int size = y.has("shingle_size") ? ((Number) y.get("shingle_size").toPlain()).intValue() : words ? 3 : 5;
        int permutations = y.has("permutations") ? ((Number) y.get("permutations").toPlain()).intValue() : 128;
        int bands = y.has("bands") ? ((Number) y.get("bands").toPlain()).intValue() : 32;
        if (method == DedupMemory.Method.MINHASH && permutations % bands != 0) {
            config.problems().add((y.has("bands") ? y.get("bands") : y.get("permutations")).location(), who + "`bands` (" + bands
                    + ") must divide `permutations` (" + permutations + ") evenly: each band takes the same number of hash values");
            ok = false;
        }
        if (!ok) return null;
        return new DedupNode(template, expression, method, threshold, method == DedupMemory.Method.MINHASH
                ? new MinHasher(words, size, permutations, bands) : null);
    }

    private static Object plain(YamlValue.Mapping y, String key) {
        return y.get(key) == null ? null : y.get(key).toPlain();
    }

    private record DedupNode(Template template, Expression expression, DedupMemory.Method method, double threshold, MinHasher hasher)
            implements Node {
        public List<FieldRead> reads() {
            return template != null ? template.reads() : expression.reads();
        }

        public Set<String> writes() {
            return Set.of();
        }

        @Override
        public boolean ordered() {
            return true;
        }

        @Override
        public OrderedMemory newMemory() {
            return new DedupMemory(method, threshold, hasher, embedder());
        }

        private TextEmbedder embedder() {
            return method == DedupMemory.Method.EMBEDDING ? TextEmbedder.builtIn() : null;
        }

        public StepOutcome run(StepContext ctx) throws InterruptedException {
            String text = template != null ? ctx.render(template) : text(ctx.evaluate(expression));
            // Computed before the turn: records pass the turn one at a time, and an embedding takes milliseconds.
            DedupMemory.Probe probe = DedupMemory.probe(method, hasher, embedder(), text);
            DedupMemory memory = (DedupMemory) ctx.awaitTurn();
            DedupMemory.Match match = memory.find(ctx.order(), probe);
            if (match != null) {
                String how = method == DedupMemory.Method.EXACT ? "exact"
                        : String.format(Locale.ROOT, "%s %.2f", method.name().toLowerCase(Locale.ROOT), match.similarity());
                return StepOutcome.drop("duplicate of " + match.entry().recordId() + " (" + how + ")");
            }
            memory.add(new DedupMemory.Entry(ctx.order(), ctx.recordId(), probe, false));
            return StepOutcome.write(Map.of()).withNote(memory.note(probe));
        }

        private static String text(Object v) {
            Object p = Values.plain(v);
            if (p == null) return "";
            if (p instanceof String s) return s;
            if (p instanceof Map || p instanceof List) {
                try {
                    return JSON.writeValueAsString(p);
                } catch (JsonProcessingException e) {
                    return String.valueOf(p);
                }
            }
            return String.valueOf(p);
        }
    }
}
