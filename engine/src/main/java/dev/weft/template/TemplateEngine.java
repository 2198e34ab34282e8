package dev.weft.template;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.el.ExtendedSyntaxBuilder;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.tree.ExpressionNode;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.util.ObjectTruthValue;
import dev.weft.workflow.Location;
import dev.weft.workflow.Problems;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jinjava.de.odysseus.el.tree.FunctionNode;
import jinjava.de.odysseus.el.tree.IdentifierNode;
import jinjava.de.odysseus.el.tree.Tree;
import jinjava.de.odysseus.el.tree.TreeBuilderException;

/**
 * Jinja templates and expressions through Jinjava. A value taken from a record is data: nested
 * interpretation is off, so a record holding {@code {{ 7*7 }}} renders as those characters.
 * Templates cannot include or import files. Thread-safe: one instance serves every record.
 */
public final class TemplateEngine {
    private static final Set<String> NOT_FIELDS = Set.of("loop", "none", "None", "true", "false", "True", "False", "null");
    private final Jinjava jinjava;
    private final ExtendedSyntaxBuilder syntax = new ExtendedSyntaxBuilder();

    public TemplateEngine() {
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withNestedInterpretationEnabled(false)
                .withFailOnUnknownTokens(false)
                .withMaxOutputSize(16L * 1024 * 1024)
                .build();
        jinjava = new Jinjava(config);
        jinjava.setResourceLocator((name, encoding, interpreter) -> {
            throw new IOException("templates cannot include or import files ('" + name + "')");
        });
    }

    /** Checks a template; returns null (with problems added) when it has errors. */
    public Template template(String source, TextOrigin origin, Problems problems) {
        JinjavaInterpreter interpreter = jinjava.newInterpreter();
        Node root;
        try {
            root = interpreter.parse(source);
        } catch (RuntimeException e) {
            problems.add(origin.locate(1, 1), "template error: " + e.getMessage());
            return null;
        }
        int before = problems.size();
        for (TemplateError err : interpreter.getErrors()) {
            problems.add(origin.locate(Math.max(err.getLineno(), 1), Math.max(err.getStartPosition(), 1)),
                    "template error: " + cleanMessage(err.getMessage()));
        }
        Set<String> locals = new HashSet<>();
        List<FieldRead> reads = new ArrayList<>();
        walk(root, origin, locals, reads, problems);
        if (problems.size() != before) return null;
        return new Template(source, dedupe(reads, locals));
    }

    /** Checks an expression such as {@code grade.score < 7}; returns null on errors. */
    public Expression expression(String source, Location at, Problems problems) {
        List<FieldRead> reads = new ArrayList<>();
        int before = problems.size();
        scanExpression(source, "`" + source + "`", at, Set.of(), reads, problems);
        if (problems.size() != before) return null;
        return new Expression(source, dedupe(reads, Set.of()));
    }

    public String render(Template template, Map<String, ?> state) {
        RenderResult result = jinjava.renderForResult(template.source(), bindings(state));
        failOnFatal(result.getErrors());
        return result.getOutput();
    }

    public Object evaluate(Expression expression, Map<String, ?> state) {
        JinjavaInterpreter interpreter = jinjava.newInterpreter();
        interpreter.getContext().putAll(bindings(state));
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            Object value = interpreter.resolveELExpression(expression.source(), 1);
            failOnFatal(interpreter.getErrors());
            return value;
        } finally {
            JinjavaInterpreter.popCurrent();
        }
    }

    public boolean test(Expression expression, Map<String, ?> state) {
        return ObjectTruthValue.evaluate(evaluate(expression, state));
    }

    /** Jinja's truth: empty strings, lists and zero are false. */
    public static boolean truthy(Object value) {
        return ObjectTruthValue.evaluate(value);
    }

    private static Map<String, Object> bindings(Map<String, ?> state) {
        return new LinkedHashMap<>(state);
    }

    private static void failOnFatal(List<TemplateError> errors) {
        for (TemplateError e : errors) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) throw new TemplateException(cleanMessage(e.getMessage()));
        }
    }

    private void walk(Node node, TextOrigin origin, Set<String> locals, List<FieldRead> reads, Problems problems) {
        Location at = origin.locate(node.getLineNumber(), node.getStartPosition());
        if (node instanceof ExpressionNode) {
            String image = node.getMaster().getImage();
            String expr = image.substring(2, image.length() - 2).trim();
            if (expr.startsWith("-")) expr = expr.substring(1);
            if (expr.endsWith("-")) expr = expr.substring(0, expr.length() - 1);
            scanExpression(expr, image, at, locals, reads, problems);
        } else if (node instanceof TagNode tag) {
            String name = tag.getTag().getName();
            String helpers = tag.getHelpers() == null ? "" : tag.getHelpers().trim();
            String image = tag.getMaster().getImage();
            switch (name) {
                case "if", "elif", "unless" -> scanExpression(helpers, image, at, locals, reads, problems);
                case "for" -> {
                    int in = helpers.indexOf(" in ");
                    if (in < 0) {
                        problems.add(at, "template error in " + image + ": a for loop reads `for item in list`");
                    } else {
                        for (String v : helpers.substring(0, in).split(",")) locals.add(v.trim());
                        scanExpression(helpers.substring(in + 4), image, at, locals, reads, problems);
                    }
                }
                case "set" -> {
                    int eq = helpers.indexOf('=');
                    if (eq < 0) {
                        for (String v : helpers.split(",")) locals.add(v.trim());
                    } else {
                        for (String v : helpers.substring(0, eq).split(",")) locals.add(v.trim());
                        scanExpression(helpers.substring(eq + 1), image, at, locals, reads, problems);
                    }
                }
                case "include", "import", "from", "extends" ->
                        problems.add(at, "template error in " + image + ": templates cannot include or import files; put the text in the prompt");
                default -> { }
            }
        }
        for (Node child : node.getChildren()) walk(child, origin, locals, reads, problems);
    }

    private void scanExpression(String expr, String image, Location at, Set<String> locals, List<FieldRead> reads, Problems problems) {
        Tree tree;
        try {
            tree = syntax.build("#{" + expr + "}");
        } catch (TreeBuilderException e) {
            problems.add(at, "template syntax error in " + image + ": encountered " + e.getEncountered()
                    + (e.getExpected() == null ? "" : ", expected " + e.getExpected().replace("<IDENTIFIER>", "a name")
                            .replace("<STRING>", "a string").replace("<FLOAT>", "a number").replace("<INTEGER>", "an integer")));
            return;
        } catch (RuntimeException e) {
            problems.add(at, "template syntax error in " + image + ": " + cleanMessage(e.getMessage()));
            return;
        }
        Context globals = jinjava.getGlobalContext();
        for (IdentifierNode id : tree.getIdentifierNodes()) {
            String name = id.getName();
            if (name.startsWith("filter:")) {
                String f = name.substring("filter:".length());
                if (globals.getFilter(f) == null) problems.add(at, "unknown filter '" + f + "' in " + image);
            } else if (name.startsWith("exptest:")) {
                String t = name.substring("exptest:".length());
                if (globals.getExpTest(t) == null) problems.add(at, "unknown test '" + t + "' in " + image);
            } else if (!name.startsWith("____") && !name.contains(":") && !locals.contains(name) && !NOT_FIELDS.contains(name)) {
                reads.add(new FieldRead(name, at));
            }
        }
        for (FunctionNode fn : tree.getFunctionNodes()) {
            String full = fn.getName();
            int colon = full.indexOf(':');
            ELFunctionDefinition def = globals.getFunction(full);
            if (def == null && colon >= 0) def = globals.getFunction(full.substring(colon + 1));
            if (def == null) problems.add(at, "unknown function '" + full + "' in " + image);
        }
    }

    private static List<FieldRead> dedupe(List<FieldRead> reads, Set<String> locals) {
        Map<String, FieldRead> first = new LinkedHashMap<>();
        for (FieldRead r : reads) if (!locals.contains(r.field())) first.putIfAbsent(r.field(), r);
        return List.copyOf(first.values());
    }

    private static String cleanMessage(String m) {
        if (m == null) return "unknown error";
        return m.replaceAll("Error parsing '#\\{(.*)}': ", "").strip();
    }
}
