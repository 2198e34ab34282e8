package dev.weft.template;

import com.hubspot.jinjava.tree.ExpressionNode;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TextNode;
import com.hubspot.jinjava.tree.parse.ExpressionToken;
import com.hubspot.jinjava.tree.parse.TextToken;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A template parsed once for every record. Jinjava's parse tree is only read while rendering
 * (Jinjava's maintainers suggest caching {@code parse} for this), so one tree serves every
 * thread. A template that is only text and field reads ({@code Q: {{ question }} for
 * {{ grade.reason }}}) also keeps its pieces, so that most renders substitute the values
 * without an interpreter. Immutable; thread-safe.
 */
final class CompiledTemplate {
    /** The parse tree, or null when parsing reported errors: render from the source then, as Jinjava does. */
    final Node root;
    /** Text ({@code String}) and field reads ({@link FieldPath}) in order, or null when the template does more. */
    private final Object[] pieces;

    private CompiledTemplate(Node root, Object[] pieces) {
        this.root = root;
        this.pieces = pieces;
    }

    /**
     * @param root  Jinjava's parse of the template, or null if it reported errors
     * @param fast the fast form of an expression (null if none), given {@code {{ }}}'s inner
     *             expression; only field reads are substituted
     */
    static CompiledTemplate of(Node root, Function<String, FastExpression> fast) {
        if (root == null) return new CompiledTemplate(null, null);
        List<Object> pieces = new ArrayList<>();
        for (Node n : root.getChildren()) {
            if (n instanceof TextNode && n.getMaster() instanceof TextToken t && n.getChildren().isEmpty()) {
                pieces.add(t.output());
            } else if (n instanceof ExpressionNode && n.getMaster() instanceof ExpressionToken e && n.getChildren().isEmpty()
                    && fast.apply(e.getExpr()) instanceof FieldPath p) {
                pieces.add(p);
            } else {
                return new CompiledTemplate(root, null);
            }
        }
        return new CompiledTemplate(root, pieces.toArray());
    }

    /**
     * The rendered text, or null when Jinjava has to render it: the template does more than
     * substitute, a value is not plain (see {@link FieldPath}), or the text may come near
     * {@code maxChars} (where Jinjava reports that the output is too big).
     */
    String substitute(Map<String, ?> state, long maxChars) {
        if (pieces == null) return null;
        StringBuilder out = new StringBuilder();
        for (Object piece : pieces) {
            if (piece instanceof String text) {
                out.append(text);
            } else {
                Object v = ((FieldPath) piece).evaluate(state);
                if (v == FastExpression.NOT_PLAIN) return null;
                out.append(v);
            }
            if (out.length() > maxChars) return null;
        }
        return out.toString();
    }
}
