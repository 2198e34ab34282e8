package dev.weft.template;

import java.util.Map;
import jinjava.de.odysseus.el.tree.Node;
import jinjava.de.odysseus.el.tree.impl.ast.AstBinary;
import jinjava.de.odysseus.el.tree.impl.ast.AstEval;
import jinjava.de.odysseus.el.tree.impl.ast.AstNumber;

/**
 * An expression simple enough to evaluate without a Jinjava interpreter: a field read
 * ({@link FieldPath}) or a field compared with a number ({@link Comparison}). Each answers only
 * where its answer is certainly Jinjava's and says {@link #NOT_PLAIN} otherwise, for the caller
 * to ask Jinjava. Implementations are immutable and thread-safe.
 */
interface FastExpression {
    /** What {@link #evaluate} returns when Jinjava has to answer. */
    Object NOT_PLAIN = new Object();

    Object evaluate(Map<String, ?> state);

    /**
     * The fast form of an expression, or null when it has none. {@code tree} is the expression as
     * Jinjava's parser reads it ({@code #{...}}), so that only the shapes below are taken.
     */
    static FastExpression of(String source, Node tree) {
        FieldPath path = FieldPath.of(source, tree);
        if (path != null) return path;
        if (!(tree instanceof AstEval) || tree.getCardinality() != 1 || !(tree.getChild(0) instanceof AstBinary b)) return null;
        if (!(b.getChild(1) instanceof AstNumber number)) return null;
        int op = b.getOperator() == AstBinary.LT ? -2 : b.getOperator() == AstBinary.LE ? -1
                : b.getOperator() == AstBinary.GE ? 1 : b.getOperator() == AstBinary.GT ? 2 : 0;
        if (op == 0) return null;
        Object literal;
        try {
            literal = number.eval(null, null);
        } catch (RuntimeException e) {
            return null;
        }
        if (!(literal instanceof Long || literal instanceof Double)) return null;
        // The left side must be a plain field path, written as such in the source.
        int at = source.indexOf(op == -2 ? "<" : op == -1 ? "<=" : op == 1 ? ">=" : ">");
        if (at < 0) return null;
        FieldPath left = FieldPath.ofNode(source.substring(0, at), b.getChild(0));
        return left == null ? null : new Comparison(left, op, (Number) literal);
    }
}
