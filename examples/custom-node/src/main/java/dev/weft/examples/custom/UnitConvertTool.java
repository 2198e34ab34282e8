package dev.weft.examples.custom;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.spi.Tool;
import dev.weft.spi.ToolContext;
import dev.weft.spi.ToolException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;

/**
 * {@code unit_convert}: converts a value between units of length, mass and temperature. An agent
 * offers it with {@code tools: [unit_convert]}.
 *
 * <p>A tool is stateless and thread-safe: one instance answers every record's calls at once. What
 * it throws goes back to the model as the result {@code "error: <message>"}, so a
 * {@link ToolException} says what would work.
 */
public final class UnitConvertTool implements Tool {
    /** To the base unit (metre, kilogram, kelvin) and back. */
    private record Unit(String dimension, DoubleUnaryOperator toBase, DoubleUnaryOperator fromBase) {}

    private static final Map<String, Unit> UNITS = new LinkedHashMap<>();

    static {
        UNITS.put("m", new Unit("length", v -> v, v -> v));
        UNITS.put("km", new Unit("length", v -> v * 1000, v -> v / 1000));
        UNITS.put("mi", new Unit("length", v -> v * 1609.344, v -> v / 1609.344));
        UNITS.put("ft", new Unit("length", v -> v * 0.3048, v -> v / 0.3048));
        UNITS.put("kg", new Unit("mass", v -> v, v -> v));
        UNITS.put("lb", new Unit("mass", v -> v * 0.45359237, v -> v / 0.45359237));
        UNITS.put("c", new Unit("temperature", v -> v + 273.15, v -> v - 273.15));
        UNITS.put("f", new Unit("temperature", v -> (v - 32) * 5 / 9 + 273.15, v -> (v - 273.15) * 9 / 5 + 32));
    }

    private static final JsonNode PARAMETERS = parameters(new ObjectMapper());

    private static JsonNode parameters(ObjectMapper json) {
        ObjectNode p = json.createObjectNode().put("type", "object");
        ObjectNode props = p.putObject("properties");
        props.putObject("value").put("type", "number").put("description", "The quantity to convert.");
        for (String k : new String[] {"from", "to"}) {
            ObjectNode u = props.putObject(k).put("type", "string").put("description", "Unit: m, km, mi, ft, kg, lb, c or f.");
            ArrayNode e = u.putArray("enum");
            UNITS.keySet().forEach(e::add);
        }
        p.putArray("required").add("value").add("from").add("to");
        p.put("additionalProperties", false);
        return p;
    }

    @Override
    public String name() {
        return "unit_convert";
    }

    @Override
    public String description() {
        return "Converts a value between units of length (m, km, mi, ft), mass (kg, lb) or temperature (c, f).";
    }

    @Override
    public JsonNode parameters() {
        return PARAMETERS;
    }

    @Override
    public String call(JsonNode arguments, ToolContext context) {
        // The engine has checked the arguments against parameters(): the keys are there, the units known.
        double value = arguments.get("value").asDouble();
        Unit from = UNITS.get(arguments.get("from").asText());
        Unit to = UNITS.get(arguments.get("to").asText());
        if (!from.dimension().equals(to.dimension())) {
            throw new ToolException("cannot convert " + from.dimension() + " to " + to.dimension() + "; pick two units of one kind");
        }
        double result = to.fromBase().applyAsDouble(from.toBase().applyAsDouble(value));
        return BigDecimal.valueOf(result).setScale(4, RoundingMode.HALF_EVEN).stripTrailingZeros().toPlainString();
    }
}
