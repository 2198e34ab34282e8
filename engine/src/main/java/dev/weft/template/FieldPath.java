package dev.weft.template;

import java.util.Map;
import java.util.regex.Pattern;
import jinjava.de.odysseus.el.tree.Node;
import jinjava.de.odysseus.el.tree.impl.ast.AstDot;
import jinjava.de.odysseus.el.tree.impl.ast.AstEval;
import jinjava.de.odysseus.el.tree.impl.ast.AstIdentifier;

/**
 * An expression that only reads a field, {@code answer} or {@code grade.reason}, resolved
 * without building a Jinjava interpreter. It answers only where the answer is certainly the one
 * Jinjava gives: the field and every map on the way are present and not null, and the value is a
 * string, number or boolean (which Jinjava returns unwrapped and prints with {@code toString()}).
 * Immutable; thread-safe.
 */
final class FieldPath implements FastExpression {
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*)*");
    private final String[] names;

    private FieldPath(String[] names) {
        this.names = names;
    }

    /** The path a whole expression reads ({@code tree} being Jinjava's parse of it), or null. */
    static FieldPath of(String expression, Node tree) {
        return tree instanceof AstEval && tree.getCardinality() == 1 ? ofNode(expression, tree.getChild(0)) : null;
    }

    /**
     * The path {@code source} reads, or null when it does anything else. {@code node} is its
     * parse: it must be identifiers and dots only, so that a keyword such as {@code not} or
     * {@code True} is never taken for a field.
     */
    static FieldPath ofNode(String source, Node node) {
        String e = source.strip();
        if (!PLAIN.matcher(e).matches()) return null;
        String[] names = e.split("\\.");
        Node n = node;
        for (int i = names.length - 1; i > 0; i--) {
            if (!(n instanceof AstDot)) return null;
            n = n.getChild(0);
        }
        if (!(n instanceof AstIdentifier id) || !id.getName().equals(names[0])) return null;
        return new FieldPath(names);
    }

    /** The plain value at this path in {@code state}, or {@link #NOT_PLAIN}. */
    @Override
    public Object evaluate(Map<String, ?> state) {
        Object v = state.get(names[0]);
        for (int i = 1; i < names.length; i++) {
            if (!(v instanceof Map<?, ?> m)) return NOT_PLAIN;
            v = m.get(names[i]);
        }
        return v instanceof String || v instanceof Boolean || isPlainNumber(v) ? v : NOT_PLAIN;
    }

    /** The JDK's own number types (their toString is fixed); anything else may print itself differently. */
    private static boolean isPlainNumber(Object v) {
        return v instanceof Integer || v instanceof Long || v instanceof Double || v instanceof Float || v instanceof Short
                || v instanceof Byte || v instanceof java.math.BigDecimal || v instanceof java.math.BigInteger;
    }
}
