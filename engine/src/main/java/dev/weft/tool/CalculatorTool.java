package dev.weft.tool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.spi.Tool;
import dev.weft.spi.ToolContext;
import dev.weft.spi.ToolException;
import java.math.BigDecimal;
import java.math.MathContext;

/**
 * {@code calculator}: one arithmetic operation on two numbers, computed in decimal (so 0.1 + 0.2
 * is 0.3). A built-in tool, registered through the same SPI as a plugin's. Stateless; thread-safe.
 */
public final class CalculatorTool implements Tool {
    private static final JsonNode PARAMETERS;

    static {
        try {
            PARAMETERS = new ObjectMapper().readTree("""
                    {"type": "object",
                     "properties": {
                       "a": {"type": "number", "description": "The first operand."},
                       "op": {"type": "string", "enum": ["add", "subtract", "multiply", "divide", "power"],
                              "description": "The operation: a + b, a - b, a * b, a / b or a to the power b."},
                       "b": {"type": "number", "description": "The second operand."}
                     },
                     "required": ["a", "op", "b"],
                     "additionalProperties": false}""");
        } catch (java.io.IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @Override
    public String name() {
        return "calculator";
    }

    @Override
    public String description() {
        return "Computes a op b for two numbers exactly (decimal arithmetic): add, subtract, multiply, divide or power.";
    }

    @Override
    public JsonNode parameters() {
        return PARAMETERS;
    }

    @Override
    public String call(JsonNode arguments, ToolContext context) {
        BigDecimal a = arguments.get("a").decimalValue();
        BigDecimal b = arguments.get("b").decimalValue();
        BigDecimal r = switch (arguments.get("op").asText()) {
            case "add" -> a.add(b, MathContext.DECIMAL64);
            case "subtract" -> a.subtract(b, MathContext.DECIMAL64);
            case "multiply" -> a.multiply(b, MathContext.DECIMAL64);
            case "divide" -> {
                if (b.signum() == 0) throw new ToolException("division by zero; b must not be 0");
                yield a.divide(b, MathContext.DECIMAL64);
            }
            case "power" -> power(a, b);
            default -> throw new ToolException("unknown op; use add, subtract, multiply, divide or power");
        };
        return format(r);
    }

    private static BigDecimal power(BigDecimal a, BigDecimal b) {
        if (b.stripTrailingZeros().scale() <= 0 && b.abs().compareTo(BigDecimal.valueOf(999)) <= 0) {
            int n = b.intValueExact();
            if (n < 0 && a.signum() == 0) throw new ToolException("0 to a negative power is undefined");
            return a.pow(n, MathContext.DECIMAL64);
        }
        double d = Math.pow(a.doubleValue(), b.doubleValue());
        if (Double.isNaN(d) || Double.isInfinite(d)) throw new ToolException("the result is not a finite real number");
        return new BigDecimal(d, MathContext.DECIMAL64);
    }

    /** "4", "0.3", "1.5E+30": no trailing zeros, plain unless huge or tiny. */
    static String format(BigDecimal r) {
        BigDecimal s = r.stripTrailingZeros();
        return s.scale() < -15 || s.scale() > 30 ? s.toString() : s.toPlainString();
    }
}
