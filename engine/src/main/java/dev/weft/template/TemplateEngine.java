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
import dev.weft.yaml.ShapeChecker;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jinjava.de.odysseus.el.tree.FunctionNode;
import jinjava.de.odysseus.el.tree.IdentifierNode;
import jinjava.de.odysseus.el.tree.Tree;
import jinjava.de.odysseus.el.tree.TreeBuilderException;
import jinjava.de.odysseus.el.tree.impl.Builder;

/**
 * Jinja templates and expressions through Jinjava. A value taken from a record is data: nested
 * interpretation is off, so a record holding {@code {{ 7*7 }}} renders as those characters.
 * Templates cannot include or import files. Thread-safe: one instance serves every record.
 */
public final class TemplateEngine {
    private static final Pattern KEYWORD_ARGUMENT = Pattern.compile("(?<![\\w.])([A-Za-z_]\\w*)\\s*=(?!=)");
    private static final Pattern STRING_LITERAL = Pattern.compile("'(?:[^'\\\\]|\\\\.)*'|\"(?:[^\"\\\\]|\\\\.)*\"");
    private static final Set<String> GUARDS = Set.of("filter:default", "filter:d", "exptest:defined", "exptest:undefined");
    private static final Set<String> NOT_FIELDS = Set.of("loop", "none", "None", "true", "false", "True", "False", "null");
    private final Jinjava jinjava;
    /** The features Jinjava's own parser has (JUEL's default profile), so that `pairs.items()` checks as it renders. */
    private final ExtendedSyntaxBuilder syntax = new ExtendedSyntaxBuilder(Builder.Feature.METHOD_INVOCATIONS, Builder.Feature.VARARGS);

    /** Bounds the parse caches, should a caller make templates without end. */
    private static final int MAX_CACHED = 10_000;
    private final ConcurrentHashMap<String, CompiledTemplate> templates = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Optional<FastExpression>> fastForms = new ConcurrentHashMap<>();
    /** False only in tests, to compare the parse cache and the fast paths with Jinjava itself. */
    private final boolean fastPaths;

    public TemplateEngine() {
        this(true);
    }

    TemplateEngine(boolean fastPaths) {
        this.fastPaths = fastPaths;
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withNestedInterpretationEnabled(false)
                .withFailOnUnknownTokens(false)
                .withMaxOutputSize(16L * 1024 * 1024)
                .build();
        jinjava = new Jinjava(config);
        registerTextFunctions(jinjava);
        jinjava.setResourceLocator((name, encoding, interpreter) -> {
            throw new IOException("templates cannot include or import files ('" + name + "')");
        });
    }

    /** The quality functions of {@link TextFunctions}, under the names the README documents. */
    private static void registerTextFunctions(Jinjava jinjava) {
        Context g = jinjava.getGlobalContext();
        g.registerFunction(new ELFunctionDefinition("", "word_count", TextFunctions.class, "wordCount", Object.class));
        g.registerFunction(new ELFunctionDefinition("", "char_count", TextFunctions.class, "charCount", Object.class));
        g.registerFunction(new ELFunctionDefinition("", "matches", TextFunctions.class, "matches", Object.class, Object.class));
        g.registerFunction(new ELFunctionDefinition("", "repetition_ratio", TextFunctions.class, "repetitionRatio", Object.class));
        g.registerFunction(new ELFunctionDefinition("", "type_token_ratio", TextFunctions.class, "typeTokenRatio", Object.class));
        g.registerFunction(new ELFunctionDefinition("", "readability", TextFunctions.class, "readability", Object.class));
        g.registerFunction(new ELFunctionDefinition("", "language", TextFunctions.class, "language", Object.class));
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
        // After a fatal error (an unknown or mismatched tag) Jinjava also reports the end tags it
        // can no longer pair as "Missing start tag"; those follow from the first error.
        boolean fatal = interpreter.getErrors().stream().anyMatch(e -> e.getSeverity() == TemplateError.ErrorType.FATAL);
        for (TemplateError err : interpreter.getErrors()) {
            if (fatal && err.getSeverity() != TemplateError.ErrorType.FATAL && "Missing start tag".equals(err.getMessage())) continue;
            problems.add(origin.locate(Math.max(err.getLineno(), 1), Math.max(err.getStartPosition(), 1)),
                    "template error: " + parseMessage(err));
        }
        Set<String> locals = new HashSet<>();
        List<FieldRead> reads = new ArrayList<>();
        walk(root, origin, locals, Set.of(), reads, problems);
        if (problems.size() != before) return null;
        return new Template(source, dedupe(reads));
    }

    /** Checks an expression such as {@code grade.score < 7}; returns null on errors. */
    public Expression expression(String source, Location at, Problems problems) {
        List<FieldRead> reads = new ArrayList<>();
        int before = problems.size();
        scanExpression(source, "`" + source + "`", at, Set.of(), Set.of(), reads, problems);
        if (problems.size() != before) return null;
        return new Expression(source, dedupe(reads));
    }

    /**
     * Renders a template for one record. A template is parsed once (and kept, see
     * {@link CompiledTemplate}); one that only substitutes plain values skips the interpreter.
     */
    public String render(Template template, Map<String, ?> state) {
        CompiledTemplate compiled = fastPaths ? compiled(template.source()) : null;
        if (compiled != null) {
            // Jinjava limits output by UTF-8 bytes; at most 3 per char, so below a third no limit is near.
            String out = compiled.substitute(state, jinjava.getGlobalConfig().getMaxOutputSize() / 3);
            if (out != null) return out;
        }
        JinjavaInterpreter interpreter = interpreter(state);
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            String out = compiled != null && compiled.root != null ? interpreter.render(compiled.root) : interpreter.render(template.source());
            failOnFatal(interpreter.getErrors());
            return out;
        } catch (com.hubspot.jinjava.interpret.TemplateSyntaxException e) { // as Jinjava's renderForResult reports them
            failOnFatal(List.of(TemplateError.fromException(e)));
            throw e;
        } catch (com.hubspot.jinjava.interpret.InterpretException e) {
            failOnFatal(List.of(TemplateError.fromSyntaxError(e)));
            throw e;
        } finally {
            JinjavaInterpreter.popCurrent();
        }
    }

    /** What the substitution fast path alone renders, or null where it leaves the template to Jinjava. For tests. */
    String substituted(Template template, Map<String, ?> state) {
        return compiled(template.source()).substitute(state, jinjava.getGlobalConfig().getMaxOutputSize() / 3);
    }

    /** What the fast path alone gives, or {@link FastExpression#NOT_PLAIN}. For tests. */
    Object evaluatedPlainly(Expression expression, Map<String, ?> state) {
        FastExpression fast = fast(expression.source());
        return fast == null ? FastExpression.NOT_PLAIN : fast.evaluate(state);
    }

    /** The parsed form of a template's source, made once per distinct source (a workflow has few). */
    private CompiledTemplate compiled(String source) {
        CompiledTemplate c = templates.get(source);
        if (c != null) return c;
        JinjavaInterpreter parser = interpreter(Map.of());
        Node root = parser.parse(source);
        c = CompiledTemplate.of(parser.getErrors().isEmpty() ? root : null, this::fast);
        if (templates.size() < MAX_CACHED) templates.putIfAbsent(source, c);
        return c;
    }

    /** The fast form of an expression (see {@link FastExpression}), or null; remembered per distinct source. */
    private FastExpression fast(String expression) {
        Optional<FastExpression> known = fastForms.get(expression);
        if (known != null) return known.orElse(null);
        FastExpression fast;
        try {
            fast = FastExpression.of(expression, syntax.build("#{" + expression + "}").getRoot());
        } catch (RuntimeException unparsable) {
            fast = null; // Jinjava reports it when it evaluates
        }
        if (fastForms.size() < MAX_CACHED) fastForms.putIfAbsent(expression, Optional.ofNullable(fast));
        return fast;
    }

    /**
     * An interpreter over a child of the global context: the filters, functions and tags resolve
     * through the parent, so nothing is copied or registered per call (Jinjava's own
     * renderForResult / newInterpreter copy the global context and re-register every library).
     * The context copies the bindings into its own scope, so the state is never written.
     */
    private JinjavaInterpreter interpreter(Map<String, ?> state) {
        Context context = new Context(jinjava.getGlobalContext(), state, jinjava.getGlobalConfig().getDisabled());
        return jinjava.getGlobalConfig().getInterpreterFactory().newInstance(jinjava, context, jinjava.getGlobalConfig());
    }

    /**
     * Evaluates an expression for one record; a plain field read or a field compared with a
     * number (see {@link FastExpression}) skips the interpreter.
     */
    public Object evaluate(Expression expression, Map<String, ?> state) {
        if (fastPaths) {
            FastExpression fast = fast(expression.source());
            if (fast != null) {
                Object v = fast.evaluate(state);
                if (v != FastExpression.NOT_PLAIN) return v;
            }
        }
        JinjavaInterpreter interpreter = interpreter(state);
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

    private static void failOnFatal(List<TemplateError> errors) {
        for (TemplateError e : errors) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) throw new TemplateException(cleanMessage(e.getMessage()));
        }
    }

    /**
     * @param guarded fields a surrounding {@code {% if x is defined %}} guards: reading them inside
     *                does not require them to be written
     */
    private void walk(Node node, TextOrigin origin, Set<String> locals, Set<String> guarded, List<FieldRead> reads, Problems problems) {
        Set<String> inside = guarded;
        Location at = origin.locate(node.getLineNumber(), node.getStartPosition());
        if (node instanceof ExpressionNode) {
            String image = node.getMaster().getImage();
            String expr = image.substring(2, image.length() - 2).trim();
            if (expr.startsWith("-")) expr = expr.substring(1);
            if (expr.endsWith("-")) expr = expr.substring(0, expr.length() - 1);
            scanExpression(expr, image, at, locals, guarded, reads, problems);
        } else if (node instanceof TagNode tag) {
            String name = tag.getTag().getName();
            String helpers = tag.getHelpers() == null ? "" : tag.getHelpers().trim();
            String image = tag.getMaster().getImage();
            switch (name) {
                case "if", "elif", "unless" -> {
                    scanExpression(helpers, image, at, locals, guarded, reads, problems);
                    Set<String> tested = definedTests(helpers);
                    if (!tested.isEmpty()) {
                        inside = new HashSet<>(guarded);
                        inside.addAll(tested);
                    }
                }
                case "for" -> {
                    int in = helpers.indexOf(" in ");
                    if (in < 0) {
                        problems.add(at, "template error in " + image + ": a for loop reads `for item in list`");
                    } else {
                        for (String v : helpers.substring(0, in).split(",")) locals.add(v.trim());
                        scanExpression(helpers.substring(in + 4), image, at, locals, guarded, reads, problems);
                    }
                }
                case "set" -> {
                    int eq = helpers.indexOf('=');
                    if (eq < 0) {
                        for (String v : helpers.split(",")) locals.add(v.trim());
                    } else {
                        for (String v : helpers.substring(0, eq).split(",")) locals.add(v.trim());
                        scanExpression(helpers.substring(eq + 1), image, at, locals, guarded, reads, problems);
                    }
                }
                case "macro" -> {
                    // {% macro name(a, b='x') %}: the name is callable and the parameters are local.
                    int open = helpers.indexOf('(');
                    int close = helpers.lastIndexOf(')');
                    locals.add((open < 0 ? helpers : helpers.substring(0, open)).trim());
                    if (open >= 0 && close > open) {
                        for (String p : helpers.substring(open + 1, close).split(",")) locals.add(p.split("=")[0].trim());
                    }
                }
                case "include", "import", "from", "extends" ->
                        problems.add(at, "template error in " + image + ": templates cannot include or import files; put the text in the prompt");
                default -> { }
            }
        }
        for (Node child : node.getChildren()) walk(child, origin, locals, inside, reads, problems);
    }

    /** Field roots read outside any guard (so a guard elsewhere in the expression does not excuse them). */
    private static void countPlainReads(jinjava.de.odysseus.el.tree.Node n, Set<String> guards, Set<String> out) {
        if (n == null) return; // an open end of a slice: items[:n], items[1:]
        if (n.getClass().getSimpleName().equals("AstMethod") && n.getCardinality() == 2) {
            jinjava.de.odysseus.el.tree.Node property = n.getChild(0);
            jinjava.de.odysseus.el.tree.Node params = n.getChild(1);
            if (property.getCardinality() > 0 && property.getChild(0) instanceof IdentifierNode callee && guards.contains(callee.getName())) {
                // skip the guarded first parameter, look at the rest
                for (int i = 1; i < params.getCardinality(); i++) countPlainReads(params.getChild(i), guards, out);
                return;
            }
        }
        if (n instanceof IdentifierNode id) out.add(id.getName());
        for (int i = 0; i < n.getCardinality(); i++) countPlainReads(n.getChild(i), guards, out);
    }

    /** Fields an {@code if} condition tests with {@code is defined}. */
    private Set<String> definedTests(String condition) {
        Set<String> names = new HashSet<>();
        try {
            collectGuarded(syntax.build("#{" + condition + "}").getRoot(), Set.of("exptest:defined"), names);
        } catch (RuntimeException unparsable) {
            // reported by scanExpression already
        }
        return names;
    }

    /**
     * Fields whose absence an expression handles itself: the value under {@code | default(...)}
     * (or {@code | d}) and the subject of {@code is defined} / {@code is undefined}. In the tree
     * Jinjava builds, {@code x | default('y')} is a method call on {@code filter:default} whose
     * first parameter is x.
     */
    private static void collectGuarded(jinjava.de.odysseus.el.tree.Node n, Set<String> guards, Set<String> out) {
        if (n == null) return; // an open end of a slice
        if (n.getClass().getSimpleName().equals("AstMethod") && n.getCardinality() == 2) {
            jinjava.de.odysseus.el.tree.Node property = n.getChild(0);
            jinjava.de.odysseus.el.tree.Node params = n.getChild(1);
            if (property.getCardinality() > 0 && property.getChild(0) instanceof IdentifierNode callee
                    && guards.contains(callee.getName()) && params.getCardinality() > 0) {
                rootIdentifier(params.getChild(0)).ifPresent(out::add);
            }
        }
        for (int i = 0; i < n.getCardinality(); i++) collectGuarded(n.getChild(i), guards, out);
    }

    /** The field at the root of `a`, `a.b` or `a['b']`. */
    private static java.util.Optional<String> rootIdentifier(jinjava.de.odysseus.el.tree.Node n) {
        while (!(n instanceof IdentifierNode) && n.getCardinality() > 0
                && (n.getClass().getSimpleName().equals("AstDot") || n.getClass().getSimpleName().equals("AstBracket"))) {
            n = n.getChild(0);
        }
        return n instanceof IdentifierNode id ? java.util.Optional.of(id.getName()) : java.util.Optional.empty();
    }

    private void scanExpression(String expr, String image, Location at, Set<String> locals, Set<String> guarded, List<FieldRead> reads,
                                Problems problems) {
        Tree tree;
        try {
            tree = syntax.build("#{" + expr + "}");
        } catch (TreeBuilderException e) {
            // The parser sees the expression wrapped in #{...}: its closing brace is the expression's end.
            boolean atEnd = e.getPosition() >= expr.length() + 2;
            String what = e.getExpected() == null ? "more" : expected(e.getExpected());
            problems.add(at, (image.startsWith("`") ? "expression" : "template") + " syntax error in " + image + ": "
                    + (atEnd ? "the expression stops where " + what + " should follow"
                            : "encountered " + e.getEncountered() + (e.getExpected() == null ? "" : ", expected " + what)));
            return;
        } catch (RuntimeException e) {
            problems.add(at, "template syntax error in " + image + ": " + cleanMessage(e.getMessage()));
            return;
        }
        Context globals = jinjava.getGlobalContext();
        Set<String> handled = new HashSet<>(guarded);
        Set<String> selfGuarded = new HashSet<>();
        collectGuarded(tree.getRoot(), GUARDS, selfGuarded);
        Set<String> readPlainly = new HashSet<>();
        countPlainReads(tree.getRoot(), GUARDS, readPlainly);
        for (String g : selfGuarded) if (!readPlainly.contains(g)) handled.add(g);
        // A keyword argument's name (`truncate(length=20)`, `map(attribute='name')`) is parsed as
        // an identifier too, but it is no field. Each `name=` takes away one occurrence of it.
        Map<String, Integer> keywords = new HashMap<>();
        Matcher kw = KEYWORD_ARGUMENT.matcher(STRING_LITERAL.matcher(expr).replaceAll("''"));
        while (kw.find()) keywords.merge(kw.group(1), 1, Integer::sum);
        for (IdentifierNode id : tree.getIdentifierNodes()) {
            String name = id.getName();
            if (keywords.merge(name, -1, Integer::sum) >= 0) continue;
            if (name.startsWith("filter:")) {
                String f = name.substring("filter:".length());
                if (globals.getFilter(f) == null) {
                    problems.add(at, "unknown filter '" + f + "' in " + image + ShapeChecker.nearest(f, globals.getAllFilters().stream().map(x -> x.getName()).toList())
                            .map(n -> "; did you mean '" + n + "'?").orElse(""));
                }
            } else if (name.startsWith("exptest:")) {
                String t = name.substring("exptest:".length());
                if (globals.getExpTest(t) == null) {
                    problems.add(at, "unknown test '" + t + "' in " + image + ShapeChecker.nearest(t, globals.getAllExpTests().stream()
                            .map(x -> x.getName()).toList()).map(n -> "; did you mean '" + n + "'?").orElse(""));
                }
            } else if (!name.startsWith("____") && !name.contains(":") && !locals.contains(name) && !NOT_FIELDS.contains(name)
                    && !handled.contains(name)) {
                reads.add(new FieldRead(name, at));
            }
        }
        for (FunctionNode fn : tree.getFunctionNodes()) {
            String full = fn.getName();
            int colon = full.indexOf(':');
            ELFunctionDefinition def = globals.getFunction(full);
            if (def == null && colon >= 0) def = globals.getFunction(full.substring(colon + 1));
            if (def == null && colon < 0) def = globals.getFunction(":" + full); // Jinja's globals: range(), namespace()
            if (def == null && !locals.contains(full)) problems.add(at, "unknown function '" + full + "' in " + image);
        }
    }

    /**
     * The first read of each field. Locals are left out where they are read (a name is local from
     * its `set` or `for` on), not afterwards: {@code {{ n }}{% set n = 1 %}} reads the field n.
     */
    private static List<FieldRead> dedupe(List<FieldRead> reads) {
        Map<String, FieldRead> first = new LinkedHashMap<>();
        for (FieldRead r : reads) first.putIfAbsent(r.field(), r);
        return List.copyOf(first.values());
    }

    /**
     * The parser's list of what it expected, for a person: "a name or a value" rather than the
     * dozen token names it tried ({@code <IDENTIFIER>|<STRING>|...|'('}).
     */
    private static String expected(String tokens) {
        if (tokens.contains("<IDENTIFIER>") && tokens.split("\\|").length > 3) return "a name or a value";
        return String.join(" or ", tokens.replace("<IDENTIFIER>", "a name").replace("<STRING>", "a string")
                .replace("<FLOAT>", "a number").replace("<INTEGER>", "an integer").split("\\|"));
    }

    private static final Pattern MISMATCHED = Pattern.compile("Syntax error in '(.*)': Mismatched end tag, expected: (\\w+)", Pattern.DOTALL);
    private static final Pattern MISSING_END = Pattern.compile("Syntax error in '(.*)': Missing end tag: (\\w+) for tag defined as: .*", Pattern.DOTALL);
    private static final Pattern UNKNOWN_TAG = Pattern.compile("Syntax error in '(.*)': Unknown tag: (\\w+)", Pattern.DOTALL);

    /** Jinjava's parse errors, reworded to say what to change. */
    private String parseMessage(TemplateError err) {
        String m = err.getMessage() == null ? "" : err.getMessage();
        Matcher x;
        if ((x = MISMATCHED.matcher(m)).matches()) return x.group(1) + " closes a tag that is not open; {% " + x.group(2) + " %} was expected first";
        if ((x = MISSING_END.matcher(m)).matches()) return x.group(1) + " is never closed; add {% " + x.group(2) + " %}";
        if ((x = UNKNOWN_TAG.matcher(m)).matches()) {
            return "unknown tag '" + x.group(2) + "' in " + x.group(1) + ShapeChecker.nearest(x.group(2), jinjava.getGlobalContext().getAllTags()
                    .stream().map(t -> t.getName()).toList()).map(n -> "; did you mean '" + n + "'?").orElse("");
        }
        if (m.equals("Missing start tag") && err.getFieldName() != null) return "{% " + err.getFieldName() + " %} has no opening tag to close";
        if (m.equals("Unclosed token")) return "a {{ or {% is not closed; add the matching }} or %}";
        return cleanMessage(m);
    }

    private static String cleanMessage(String m) {
        if (m == null) return "unknown error";
        return m.replaceAll("Error parsing '#\\{(.*)}': ", "").strip();
    }
}
