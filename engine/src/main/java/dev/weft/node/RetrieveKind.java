package dev.weft.node;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.retrieve.Chunking;
import dev.weft.retrieve.Corpus;
import dev.weft.retrieve.CorpusIndex;
import dev.weft.retrieve.CorpusScan;
import dev.weft.spi.Node;
import dev.weft.spi.NodeConfig;
import dev.weft.spi.AbstractNodeKind;
import dev.weft.spi.StepContext;
import dev.weft.spi.StepFailedException;
import dev.weft.spi.StepOutcome;
import dev.weft.template.FieldRead;
import dev.weft.template.Template;
import dev.weft.yaml.Shape;
import dev.weft.yaml.YamlValue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code kind: retrieve}: the passages of a local corpus (.txt, .md and .jsonl files) closest in
 * meaning to a query templated from the record, by the in-process embedder. The corpus is indexed
 * once and the index kept in the store (see {@link dev.weft.retrieve.CorpusIndexes}); no model is
 * called. Which passages a record got is remembered in the step cache, so a replay gets exactly the
 * same ones without embedding anything.
 */
public final class RetrieveKind extends AbstractNodeKind {
    static final int DEFAULT_TOP_K = 3;
    private static final ObjectMapper CANONICAL = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
    private static final Shape.Obj CHUNK = Shape.Obj.builder("How the corpus is cut into passages, in characters.")
            .optional("size", Shape.integer(50L, 8000L, "Most characters in a passage (default " + Chunking.DEFAULT_SIZE + ")."))
            .optional("overlap", Shape.integer(0L, 4000L, "Characters a passage repeats from the end of the one before it (default "
                    + Chunking.DEFAULT_OVERLAP + "); at most half the size."))
            .build();
    private static final Shape.Obj SHAPE = Shape.Obj.builder(null)
            .required("corpus", Shape.string("A .txt, .md or .jsonl file, or a folder of them (sub-folders too), relative to the workflow."))
            .required("query", Shape.string("What to search for: a template over the record."))
            .optional("top_k", Shape.integer(1L, 100L, "How many passages, best first (default " + DEFAULT_TOP_K + ")."))
            .optional("min_score", Shape.number(-1.0, 1.0, "Leave out passages whose cosine similarity to the query is below this."))
            .optional("chunk", CHUNK)
            .optional("text_field", Shape.string("In .jsonl files, the field holding each record's text (default "
                    + Chunking.DEFAULT_TEXT_FIELD + "); the other fields become the passage's `meta`."))
            .optional("output", Shape.string("The field the passages are written to (default: the node's name)."))
            .build();

    public RetrieveKind() {
        super("retrieve", 1,
                "Finds the passages of a local corpus closest in meaning to a query (in-process embeddings, index kept in the store).",
                SHAPE);
    }

    @Override
    public Node configure(NodeConfig config) {
        YamlValue.Mapping y = config.yaml();
        String node = config.nodeName();
        boolean ok = true;
        int size = integer(y, "chunk", "size", Chunking.DEFAULT_SIZE);
        int overlap = integer(y, "chunk", "overlap", Chunking.DEFAULT_OVERLAP);
        if (overlap * 2 > size) {
            YamlValue.Mapping chunk = (YamlValue.Mapping) y.get("chunk");
            config.problems().add(chunk.has("overlap") ? chunk.get("overlap").location() : chunk.location(), "node '" + node + "': `chunk.overlap` ("
                    + overlap + ") must be at most half of `chunk.size` (" + size + "), or passages would mostly repeat each other");
            ok = false;
        }
        String textField = y.get("text_field") instanceof YamlValue.Scalar s ? s.text() : Chunking.DEFAULT_TEXT_FIELD;
        if (textField.isBlank()) {
            config.problems().add(y.get("text_field").location(), "node '" + node + "': `text_field` names a field of the .jsonl records; it cannot be empty");
            ok = false;
        }
        Template query = config.template(y.get("query"));
        Corpus corpus = ok ? corpus(config, new Chunking(size, overlap, textField)) : null;
        if (!ok || query == null || corpus == null) return null;
        int topK = y.get("top_k") instanceof YamlValue.Scalar s ? ((Number) s.toPlain()).intValue() : DEFAULT_TOP_K;
        Double minScore = y.get("min_score") instanceof YamlValue.Scalar s ? ((Number) s.toPlain()).doubleValue() : null;
        String output = y.get("output") instanceof YamlValue.Scalar s ? s.text() : node;
        return new RetrieveNode(corpus, query, topK, minScore, output);
    }

    private static int integer(YamlValue.Mapping y, String section, String key, int dflt) {
        return y.get(section) instanceof YamlValue.Mapping m && m.get(key) instanceof YamlValue.Scalar s
                ? ((Number) s.toPlain()).intValue() : dflt;
    }

    /** The corpus as scanned now, or as a resumed run first saw it; null (problem reported) if it cannot be used. */
    private static Corpus corpus(NodeConfig config, Chunking chunking) {
        YamlValue value = config.yaml().get("corpus");
        String written = ((YamlValue.Scalar) value).text();
        if (written.isBlank()) {
            config.problems().add(value.location(), "node '" + config.nodeName() + "': `corpus` names a file or folder; it cannot be empty");
            return null;
        }
        Path path = config.path(value);
        if (path == null) return null;
        String manifest = config.kept(value, path, () -> {
            try {
                return CorpusScan.scan(path, written, config.display(path), chunking).manifest();
            } catch (CorpusScan.Refused e) {
                config.problems().add(value.location(), "node '" + config.nodeName() + "': " + e.getMessage());
                return null;
            }
        });
        if (manifest == null) return null;
        Corpus corpus = Corpus.fromManifest(manifest, path, written, chunking);
        if (corpus == null) {
            config.problems().add(value.location(), "node '" + config.nodeName() + "': the run's record of corpus " + config.display(path)
                    + " is unreadable; start the run anew");
        }
        return corpus;
    }

    /** @param minScore null: no floor */
    private record RetrieveNode(Corpus corpus, Template query, int topK, Double minScore, String output) implements Node {
        public List<FieldRead> reads() {
            return query.reads();
        }

        public Set<String> writes() {
            return Set.of(output);
        }

        public StepOutcome run(StepContext ctx) throws InterruptedException {
            String q = ctx.render(query);
            if (q.isBlank()) {
                throw new StepFailedException("the query is empty for this record; check the fields `query` reads");
            }
            CorpusIndex index = ctx.corpusIndex(corpus);
            ObjectNode request = CANONICAL.createObjectNode().put("index", index.id()).put("query", q).put("top_k", topK);
            if (minScore != null) request.put("min_score", minScore);
            // The hits, not the passages, are remembered: a few bytes a record, and the texts are in the index.
            String hits = ctx.remember("retrieve", request.toString(), () -> hitsJson(index.search(q, topK, minScore == null
                    ? Double.NEGATIVE_INFINITY : minScore)));
            return StepOutcome.write(output, passages(index, hits));
        }

        private static String hitsJson(List<CorpusIndex.Hit> hits) {
            ArrayNode a = CANONICAL.createArrayNode();
            for (CorpusIndex.Hit h : hits) a.addArray().add(h.chunk()).add(h.score());
            return a.toString();
        }

        /** Each hit as {text, source, score, chunk, meta}: the same value whether just searched or remembered. */
        private static List<Map<String, Object>> passages(CorpusIndex index, String hits) {
            JsonNode a;
            try {
                a = CANONICAL.readTree(hits);
            } catch (JsonProcessingException e) {
                throw new StepFailedException("the remembered passages are unreadable (" + e.getOriginalMessage() + "); run with --no-cache");
            }
            List<Map<String, Object>> out = new ArrayList<>();
            for (JsonNode h : a) {
                int n = h.path(0).asInt(-1);
                if (n < 0 || n >= index.size()) {
                    throw new StepFailedException("the remembered passages name chunk " + n + ", which the corpus index does not have; run with --no-cache");
                }
                Map<String, Object> p = new LinkedHashMap<>();
                p.put("text", index.text(n));
                p.put("source", index.source(n));
                p.put("score", Math.round(h.path(1).asDouble() * 10_000) / 10_000.0);
                p.put("chunk", n);
                p.put("meta", index.meta(n));
                out.add(p);
            }
            return out;
        }
    }
}
