package dev.weft.node;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The quick check never accepts an answer the full JSON Schema validator rejects, and accepts most good ones. */
class PlainSchemaCheckTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    private static final String[] FIELDS = {"score", "reason", "winner", "ok", "weight", "extra"};

    @Test
    void acceptsOnlyWhatTheFullValidatorAccepts() throws Exception {
        List<JsonNode> schemas = List.of(AnswerSchema.defaultScore().json(), AnswerSchema.score(-3, 3).json(), AnswerSchema.score(0, 100).json(),
                AnswerSchema.pick(List.of("A", "B", "tie")).json(),
                JSON.readTree("{\"type\":\"object\",\"properties\":{\"ok\":{\"type\":\"boolean\"},\"weight\":{\"type\":\"number\",\"minimum\":0.0,"
                        + "\"maximum\":1.0},\"reason\":{\"type\":\"string\"}},\"required\":[\"ok\",\"weight\"],\"additionalProperties\":false}"));
        Random r = new Random(5);
        int accepted = 0;
        for (JsonNode schema : schemas) {
            PlainSchemaCheck quick = PlainSchemaCheck.of(schema);
            assertNotNull(quick, schema.toString());
            var full = FACTORY.getSchema(schema);
            for (int i = 0; i < 3000; i++) {
                JsonNode answer = answer(schema, r);
                if (quick.surelyValid(answer)) {
                    accepted++;
                    assertTrue(full.validate(answer).isEmpty(), () -> "accepted " + answer + " against " + schema + ": " + full.validate(answer));
                }
            }
        }
        assertTrue(accepted > 1000, "accepted only " + accepted);
    }

    @Test
    void aSchemaBeyondItIsLeftToTheFullValidator() throws Exception {
        assertTrue(PlainSchemaCheck.of(JSON.readTree("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"minLength\":3}},"
                + "\"required\":[],\"additionalProperties\":false}")) == null);
        assertTrue(PlainSchemaCheck.of(JSON.readTree("{\"type\":\"object\",\"properties\":{},\"required\":[]}")) == null, "extra fields allowed");
    }

    /** Mostly good answers for the schema, with a wrong, missing or extra field now and then. */
    private static JsonNode answer(JsonNode schema, Random r) {
        ObjectNode o = JSON.createObjectNode();
        schema.get("properties").fields().forEachRemaining(e -> {
            if (r.nextInt(20) == 0) return;
            o.set(e.getKey(), r.nextInt(4) == 0 ? value(r) : good(e.getValue(), r));
        });
        if (r.nextInt(10) == 0) o.set(FIELDS[r.nextInt(FIELDS.length)], value(r));
        return r.nextInt(40) == 0 ? JSON.createArrayNode().add(o) : o;
    }

    private static JsonNode good(JsonNode p, Random r) {
        if (p.has("enum")) return p.get("enum").get(r.nextInt(p.get("enum").size()));
        return switch (p.get("type").asText()) {
            case "integer" -> JSON.getNodeFactory().numberNode(p.get("minimum").asLong() + r.nextInt(
                    (int) (p.get("maximum").asLong() - p.get("minimum").asLong() + 3)) - 1);
            case "number" -> JSON.getNodeFactory().numberNode(r.nextDouble() * 1.2 - 0.1);
            case "boolean" -> JSON.getNodeFactory().booleanNode(r.nextBoolean());
            default -> JSON.getNodeFactory().textNode("because " + r.nextInt(9));
        };
    }

    private static JsonNode value(Random r) {
        return switch (r.nextInt(14)) {
            case 0, 1, 2 -> JSON.getNodeFactory().numberNode(r.nextInt(12) - 4);
            case 3 -> JSON.getNodeFactory().numberNode(r.nextLong());
            case 4 -> JSON.getNodeFactory().numberNode(new BigInteger("12345678901234567890123"));
            case 5 -> JSON.getNodeFactory().numberNode(r.nextBoolean() ? 5.0 : r.nextDouble() * 2 - 0.5);
            case 6 -> JSON.getNodeFactory().numberNode(new BigDecimal("0.50"));
            case 7, 8 -> JSON.getNodeFactory().textNode(List.of("A", "B", "tie", "a", "", "because").get(r.nextInt(6)));
            case 9 -> JSON.getNodeFactory().booleanNode(r.nextBoolean());
            case 10 -> JSON.getNodeFactory().nullNode();
            case 11 -> JSON.createArrayNode().add(1);
            case 12 -> JSON.createObjectNode().put("x", 1);
            default -> JSON.getNodeFactory().numberNode(1.0f);
        };
    }
}
