package dev.weft.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaId;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.weft.spi.NodeKind;
import dev.weft.yaml.YamlReader;
import dev.weft.yaml.YamlValue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The published JSON Schema is a real draft 2020-12 schema and agrees with the loader on the fixtures. */
class SchemaTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    private static ObjectNode schemaJson;
    private static JsonSchema schema;

    @BeforeAll
    static void compile() {
        schemaJson = Language.jsonSchema(NodeKinds.builtIn());
        schema = FACTORY.getSchema(schemaJson);
        schema.initializeValidators(); // resolves every keyword now, so a bad one fails here
    }

    static java.util.stream.Stream<String> valid() throws IOException {
        return WorkflowFixturesTest.valid();
    }

    /** YAML to JSON the way an editor plugin would see the file: plain values, no locations. */
    private static JsonNode asJson(Path file) throws IOException {
        Problems problems = new Problems();
        YamlValue v = new YamlReader().read(Files.readString(file), file.toString(), problems).orElseThrow();
        assertTrue(problems.isEmpty(), problems.list().toString());
        return JSON.valueToTree(v.toPlain());
    }

    private static String describe(Set<ValidationMessage> errors) {
        return errors.stream().map(ValidationMessage::getMessage).sorted().collect(Collectors.joining("\n"));
    }

    @Test
    void isAValidDraft202012Schema() {
        JsonSchema meta = FACTORY.getSchema(SchemaLocation.of(SchemaId.V202012));
        Set<ValidationMessage> errors = meta.validate(schemaJson);
        assertTrue(errors.isEmpty(), describe(errors));
        // ...and that check is not vacuous: the meta-schema does refuse a broken schema.
        ObjectNode broken = schemaJson.deepCopy();
        ((ObjectNode) broken.at("/properties/name")).put("type", "text");
        assertFalse(meta.validate(broken).isEmpty(), "the meta-schema checks types");
        assertEquals("https://json-schema.org/draft/2020-12/schema", schemaJson.get("$schema").asText());
        // Every node kind is described, and told apart by its `kind`.
        JsonNode kinds = schemaJson.at("/properties/nodes/additionalProperties/oneOf");
        assertEquals(NodeKinds.builtIn().all().size(), kinds.size());
        for (NodeKind k : NodeKinds.builtIn().all()) {
            assertTrue(kinds.findValuesAsText("title").contains(k.name()), k.name());
        }
        assertFalse(schemaJson.get("additionalProperties").asBoolean(), "unknown top-level keys are refused");
    }

    @ParameterizedTest(name = "valid/{0}")
    @MethodSource("valid")
    void everyValidFixtureValidates(String name) throws IOException {
        Set<ValidationMessage> errors = schema.validate(asJson(WorkflowFixturesTest.dir("valid").resolve(name)));
        assertTrue(errors.isEmpty(), name + ":\n" + describe(errors));
    }

    @ParameterizedTest(name = "invalid/{0}")
    @ValueSource(strings = {"unknown_top_level_key.yaml", "unknown_node_key.yaml", "unknown_model_key.yaml", "wrong_type.yaml",
            "out_of_range.yaml", "unknown_kind.yaml", "unknown_provider.yaml", "missing_required_key.yaml", "missing_top_level_keys.yaml"})
    void shapeMistakesFailTheSchemaToo(String name) throws IOException {
        Set<ValidationMessage> errors = schema.validate(asJson(WorkflowFixturesTest.dir("invalid").resolve(name)));
        assertFalse(errors.isEmpty(), name + " should not validate");
    }

    @Test
    void workflowNodesAndLlmSchemasArePublishedAndChecked() throws IOException {
        JsonNode kinds = schemaJson.at("/properties/nodes/additionalProperties/oneOf");
        JsonNode workflow = null;
        JsonNode llm = null;
        for (JsonNode k : kinds) {
            if (k.get("title").asText().equals("workflow")) workflow = k;
            if (k.get("title").asText().equals("llm")) llm = k;
        }
        assertEquals(Set.of("kind", "workflow"), Set.copyOf(JSON.convertValue(workflow.get("required"), java.util.List.class)));
        for (String key : java.util.List.of("workflow", "input", "output", "overrides")) assertTrue(workflow.at("/properties").has(key), key);
        assertTrue(llm.at("/properties").has("schema") && llm.at("/properties").has("retries"), llm.toString());

        Path file = Files.createTempFile("schema-test", ".yaml");
        try {
            Files.writeString(file, """
                    name: s
                    source: {generate: 1}
                    nodes:
                      gen: {kind: llm, model: m, prompt: p, schema: {q: "[string] 3..5", pairs: [{a: string}, 2], m: {level: [1, 2]}}}
                      sub: {kind: workflow, workflow: x.yaml, input: {a: b, n: 3}, output: {c: d}, overrides: {seed: 7, nodes.a.prompt: x}}
                    edges: [gen -> sub -> END]
                    """);
            Set<ValidationMessage> errors = schema.validate(asJson(file));
            assertTrue(errors.isEmpty(), describe(errors));
            Files.writeString(file, """
                    name: s
                    source: {generate: 1}
                    nodes:
                      gen: {kind: llm, model: m, prompt: p, schema: {q: 5}, retries: 11}
                      sub: {kind: workflow, workflow: x.yaml, inputs: {a: b}}
                    edges: [gen -> sub -> END]
                    """);
            String found = describe(schema.validate(asJson(file)));
            assertTrue(found.contains("retries") && found.contains("inputs") && found.contains("$.nodes.gen.schema.q"), found);
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void theSchemaPointsAtTheMistake() throws IOException {
        Set<ValidationMessage> errors = schema.validate(asJson(WorkflowFixturesTest.dir("invalid").resolve("unknown_top_level_key.yaml")));
        assertTrue(describe(errors).contains("sinc"), describe(errors));
        errors = schema.validate(asJson(WorkflowFixturesTest.dir("invalid").resolve("wrong_type.yaml")));
        assertTrue(errors.stream().anyMatch(m -> m.getInstanceLocation().toString().contains("max_tokens")), describe(errors));
    }
}
