package dev.weft.template;

import java.util.Map;

/**
 * A field compared with a number literal, {@code grade.score < 6} (also {@code <=}, {@code >=},
 * {@code >}): the usual edge condition. Evaluated as JUEL does for JDK numbers: as doubles when
 * either side is a {@code Double} or {@code Float}, else as longs. Any other value (a string, a
 * big number, a missing field) is left to Jinjava. Immutable; thread-safe.
 */
final class Comparison implements FastExpression {
    private final FieldPath field;
    /** -2 {@code <}, -1 {@code <=}, 1 {@code >=}, 2 {@code >}. */
    private final int op;
    private final Number literal;

    Comparison(FieldPath field, int op, Number literal) {
        this.field = field;
        this.op = op;
        this.literal = literal;
    }

    @Override
    public Object evaluate(Map<String, ?> state) {
        Object v = field.evaluate(state);
        int c;
        if (v instanceof Double || v instanceof Float || literal instanceof Double) {
            if (!(v instanceof Number n) || !isSimple(n)) return NOT_PLAIN;
            double a = n.doubleValue();
            double b = literal.doubleValue();
            // JUEL computes < and > directly (false with NaN) and <=, >= as their negations (true with NaN)
            if (Double.isNaN(a) || Double.isNaN(b)) return op == -1 || op == 1;
            c = Double.compare(a, b);
            if (a == b) c = 0; // -0.0 == 0.0, as the primitive comparison has it
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            c = Long.compare(((Number) v).longValue(), literal.longValue());
        } else {
            return NOT_PLAIN;
        }
        return switch (op) {
            case -2 -> c < 0;
            case -1 -> c <= 0;
            case 1 -> c >= 0;
            default -> c > 0;
        };
    }

    private static boolean isSimple(Number n) {
        return n instanceof Double || n instanceof Float || n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte;
    }
}
