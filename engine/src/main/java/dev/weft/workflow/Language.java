package dev.weft.workflow;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.spi.NodeKind;
import dev.weft.yaml.Shape;
import java.util.List;

/**
 * The workflow language v1, declared once: the loader checks YAML against these shapes and
 * {@link #jsonSchema(NodeKinds)} publishes them for editors. Thread-safe (constants).
 */
public final class Language {
    private Language() {}

    public static final List<String> PROVIDERS = List.of("openai", "ollama", "simulated");
    /** The built-in source formats; plugins add more (see {@link NodeKinds#sourceFormats()}). */
    public static final List<String> SOURCE_FORMATS = List.of("jsonl", "json", "csv");
    /** The built-in output formats; plugins add more (see {@link NodeKinds#formats()}). */
    public static final List<String> SINK_FORMATS = List.of("raw", "sft", "dpo", "multi-turn", "tool-call", "oasst");

    private static final Shape DURATION = Shape.either("seconds, or a duration such as 30s, 2m, 500ms",
            Shape.number(0.0, null, null), Shape.string(null));

    public static final Shape.Obj MODEL = Shape.Obj.builder("A model profile that nodes refer to by name.")
            .required("provider", Shape.oneOf(PROVIDERS, "openai: any OpenAI-compatible server; ollama; simulated: offline and deterministic"))
            .required("model", Shape.string("The model's name on its server."))
            .optional("base_url", Shape.string("Server URL; for openai it ends in /v1 (e.g. http://127.0.0.1:8000/v1)."))
            .optional("api_key_env", Shape.string("Name of the environment variable holding the API key. The key itself is never written down."))
            .optional("temperature", Shape.number(0.0, 2.0, null))
            .optional("top_p", Shape.number(0.0, 1.0, null))
            .optional("max_tokens", Shape.integer(1L, null, null))
            .optional("seed", Shape.integer(null, null, "Sampling seed sent to servers that support it."))
            .optional("max_concurrency", Shape.integer(1L, 100_000L, "Calls in flight at once (default 32)."))
            .optional("requests_per_minute", Shape.integer(1L, null, null))
            .optional("tokens_per_minute", Shape.integer(1L, null, null))
            .optional("timeout", DURATION)
            .optional("max_retries", Shape.integer(0L, 100L, "Retries of a 429, 5xx, timeout or dropped connection (default 5)."))
            .optional("retry_delay", DURATION)
            .optional("price_per_1k", Shape.Obj.builder("Price per 1,000 tokens, for cost accounting.")
                    .optional("input", Shape.number(0.0, null, null))
                    .optional("output", Shape.number(0.0, null, null))
                    .build())
            .build();

    public static final Shape.Obj SOURCE = Shape.Obj.builder("Where records come from (streamed).")
            .optional("path", Shape.string("A .jsonl, .json or .csv file, relative to the workflow file."))
            .optional("format", Shape.string("jsonl, json, csv or a plugin's format; defaults to the file's extension."))
            .optional("id", Shape.string("The field holding each record's id; without it, a hash of the record."))
            .optional("generate", Shape.integer(1L, null, "Instead of a file: this many empty records, ids 0..N-1."))
            .build();

    public static final Shape.Obj SINK = Shape.Obj.builder("Where finished records are written, in source order.")
            .required("path", Shape.string("A .jsonl file, relative to the workflow file."))
            .optional("format", Shape.string("raw (default), sft (chat messages), dpo (prompt/chosen/rejected), multi-turn (a checked chat),"
                    + " tool-call (OpenAI tool-use messages and tools), oasst (OpenAssistant message trees) or a plugin's format."))
            .optional("map", Shape.mapOf(Shape.string(null), "Output key: expression over the record."))
            .build();

    public static final Shape EDGE = Shape.either("`a -> b -> c`, or a mapping for a conditional or bounded edge",
            Shape.string("A chain of unconditional edges."),
            Shape.Obj.builder("One edge.")
                    .required("from", Shape.string(null))
                    .required("to", Shape.string("A node or END."))
                    .optional("when", Shape.string("Condition over the record, e.g. grade.score < 7."))
                    .optional("otherwise", Shape.bool("Taken when no other edge from the node is."))
                    .optional("max", Shape.integer(1L, null, "How often one record may take this edge; every cycle needs one."))
                    .build());

    /** Keys every node takes, whatever its kind. */
    public static final Shape.Obj NODE_COMMON = Shape.Obj.builder(null)
            .required("kind", Shape.string(null))
            .optional("description", Shape.string(null))
            .optional("cache", Shape.bool("false: always call the model, never reuse a remembered answer."))
            .build();

    public static final Shape.Obj WORKFLOW = Shape.Obj.builder("A Weft workflow.")
            .required("name", Shape.string(null))
            .optional("description", Shape.string(null))
            .optional("seed", Shape.integer(null, null, "Seed for sampling (default 0)."))
            .optional("models", Shape.mapOf(MODEL, "Named model profiles."))
            .required("source", SOURCE)
            .required("nodes", Shape.mapOf(Shape.any("A node; see the kinds."), "The graph's nodes, by name."))
            .required("edges", Shape.listOf(EDGE, "The graph's edges."))
            .optional("sink", SINK)
            .build();

    /** The language as a JSON Schema (draft 2020-12), node kinds included. */
    public static ObjectNode jsonSchema(NodeKinds kinds) {
        ObjectNode schema = WORKFLOW.jsonSchema();
        schema.put("$schema", "https://json-schema.org/draft/2020-12/schema");
        schema.put("$id", "https://weft.dev/schema/workflow-v1.json");
        schema.put("title", "Weft workflow");
        ObjectNode nodes = (ObjectNode) schema.path("properties").path("nodes");
        ObjectNode node = Shape.JSON.objectNode();
        node.put("type", "object");
        node.putObject("required").removeAll();
        node.remove("required");
        ArrayNode oneOf = node.putArray("oneOf");
        for (NodeKind k : kinds.all()) {
            Shape.Obj full = NODE_COMMON.with(k.shape());
            ObjectNode s = full.jsonSchema();
            s.put("title", k.name());
            s.put("description", k.description());
            ObjectNode kindProp = Shape.JSON.objectNode();
            kindProp.put("const", k.name());
            ((ObjectNode) s.get("properties")).set("kind", kindProp);
            oneOf.add(s);
        }
        nodes.set("additionalProperties", node);
        // Formats come from the SPI: the ones this installation knows (built-ins and plugins).
        ArrayNode sourceFormats = ((ObjectNode) schema.at("/properties/source/properties/format")).putArray("enum");
        kinds.sourceFormats().keySet().forEach(sourceFormats::add);
        ArrayNode sinkFormats = ((ObjectNode) schema.at("/properties/sink/properties/format")).putArray("enum");
        kinds.formats().keySet().forEach(sinkFormats::add);
        return schema;
    }
}
