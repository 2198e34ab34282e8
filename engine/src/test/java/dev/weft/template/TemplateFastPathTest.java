package dev.weft.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.workflow.Location;
import dev.weft.workflow.Problems;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The parse cache and the substitution / field-read fast paths against Jinjava itself: thousands
 * of generated templates, expressions and records (strings, every number type, booleans, None,
 * missing fields, lists, maps, nested maps, values that look like templates) must render and
 * evaluate exactly as a {@link TemplateEngine} without them does, failures included.
 */
class TemplateFastPathTest {
    private static final TemplateEngine FAST = new TemplateEngine();
    private static final TemplateEngine JINJAVA = new TemplateEngine(false);
    private static final String[] NAMES = {"a", "b", "question", "grade", "items", "keys", "none", "None", "True", "loop", "x_1", "_u"};
    private static final String[] SUBFIELDS = {"score", "reason", "b", "items", "keys", "size", "empty_", "c"};
    private static final String[] TEXTS = {"", " ", "Q: ", "\n", "  \n  ", "é ü 漢字 🙂", "{ not a tag }", "100%", "#", "}}", "a-b",
            "\t", "Answer: ", "x\\y", "'quoted' \"double\""};

    @Test
    void templatesRenderExactlyAsJinjavaRendersThem() {
        Random random = new Random(20261121);
        int substituted = 0;
        int compared = 0;
        for (int i = 0; i < 4000; i++) {
            String source = template(random);
            Problems problems = new Problems();
            Template t = FAST.template(source, TextOrigin.ofFile("t.txt"), problems);
            if (t == null) continue; // not a valid template: never rendered
            for (int k = 0; k < 4; k++) {
                Map<String, Object> state = state(random);
                String expected = outcome(() -> JINJAVA.render(t, state));
                assertEquals(expected, outcome(() -> FAST.render(t, state)), () -> source + " with " + state);
                String fast = FAST.substituted(t, state);
                if (fast != null) {
                    assertEquals(expected, fast, () -> "substitution of " + source + " with " + state);
                    substituted++;
                }
                compared++;
            }
        }
        assertTrue(compared > 10_000, "compared " + compared);
        assertTrue(substituted > 2000, "the fast path answered " + substituted + " of " + compared + ": too few to test it");
    }

    @Test
    void expressionsEvaluateExactlyAsJinjavaEvaluatesThem() {
        Random random = new Random(7);
        List<String> sources = new ArrayList<>(List.of("a", "a.b", "grade.score", "grade.reason", "a.b.c", "grade.score < 6", "not a",
                "a.items", "a.keys", "None", "none", "True", "true", "loop", "a | length", "_u", "x_1.size", "grade.empty_",
                "question ~ ''", "a.b.c.score", "items", "keys.b"));
        for (int i = 0; i < 200; i++) sources.add(path(random));
        String[] ops = {"<", "<=", ">", ">=", " < ", " >= ", "==", " lt "};
        String[] literals = {"6", "0", "6.5", "-1", "1e3", "0.0", "9223372036854775807", "'6'", "True", "a.b"};
        for (int i = 0; i < 1500; i++) sources.add(path(random) + ops[random.nextInt(ops.length)] + literals[random.nextInt(literals.length)]);
        int plain = 0;
        int compared = 0;
        int comparisons = 0;
        for (String source : sources) {
            Problems problems = new Problems();
            Expression e = FAST.expression(source, new Location("wf.yaml", 1, 1), problems);
            if (e == null) continue;
            for (int k = 0; k < 40; k++) {
                Map<String, Object> state = state(random);
                Object expected = value(() -> JINJAVA.evaluate(e, state));
                Object actual = value(() -> FAST.evaluate(e, state));
                assertEquals(expected, actual, () -> source + " with " + state);
                assertEquals(expected == null ? null : expected.getClass(), actual == null ? null : actual.getClass(), source);
                if (FAST.evaluatedPlainly(e, state) != FastExpression.NOT_PLAIN) {
                    plain++;
                    if (expected instanceof Boolean && source.matches(".*[<>].*")) comparisons++;
                }
                compared++;
            }
        }
        assertTrue(plain > 1000, "the fast path answered " + plain + " of " + compared + ": too few to test it");
        assertTrue(comparisons > 1000, "the fast path compared " + comparisons + " times: too few to test it");
    }

    @Test
    void oneParsedTemplateServesManyThreadsAtOnce() throws Exception {
        Template loop = FAST.template("{% for t in items %}[{{ loop.index }}:{{ t }}]{% endfor %} {{ a }}", TextOrigin.ofFile("t.txt"), new Problems());
        Template plain = FAST.template("Q: {{ a }} / {{ grade.reason }}", TextOrigin.ofFile("t.txt"), new Problems());
        assertNotNull(loop);
        assertNotNull(plain);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < 8; w++) {
                int worker = w;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 2000; i++) {
                        String id = worker + "-" + i;
                        Map<String, Object> state = Map.of("items", List.of(id, "x"), "a", id, "grade", Map.of("reason", id));
                        assertEquals("[1:" + id + "][2:x] " + id, FAST.render(loop, state));
                        assertEquals("Q: " + id + " / " + id, FAST.render(plain, state));
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) f.get();
        } finally {
            pool.shutdown();
        }
    }

    // ---- generators

    private static String template(Random r) {
        StringBuilder s = new StringBuilder();
        int parts = 1 + r.nextInt(5);
        for (int i = 0; i < parts; i++) {
            switch (r.nextInt(10)) {
                case 0, 1, 2 -> s.append(TEXTS[r.nextInt(TEXTS.length)]);
                case 3, 4, 5 -> s.append(expressionTag(r, path(r)));
                case 6 -> s.append(expressionTag(r, path(r) + (r.nextBoolean() ? " | upper" : " ~ '!'")));
                case 7 -> s.append(r.nextBoolean() ? "{# note #}" : "{% raw %}{{ a }}{% endraw %}");
                case 8 -> s.append("{% if ").append(path(r)).append(" %}yes {{ ").append(path(r)).append(" }}{% endif %}");
                default -> s.append(r.nextBoolean() ? "  {{- " + path(r) + " -}}  " : "\n{{ " + path(r) + " }}\n");
            }
        }
        return s.toString();
    }

    private static String expressionTag(Random r, String expression) {
        String open = r.nextInt(5) == 0 ? "{{-" : "{{";
        String close = r.nextInt(5) == 0 ? "-}}" : "}}";
        String pad = r.nextBoolean() ? " " : "";
        return open + pad + expression + pad + close;
    }

    private static String path(Random r) {
        StringBuilder p = new StringBuilder(NAMES[r.nextInt(NAMES.length)]);
        int depth = r.nextInt(3);
        for (int i = 0; i < depth; i++) p.append('.').append(SUBFIELDS[r.nextInt(SUBFIELDS.length)]);
        return p.toString();
    }

    private static Map<String, Object> state(Random r) {
        Map<String, Object> state = new HashMap<>();
        for (String name : NAMES) {
            if (r.nextInt(4) > 0) state.put(name, value(r, 2));
        }
        return state;
    }

    private static Object value(Random r, int depth) {
        if (depth > 0 && r.nextInt(5) < 2) return value(r, depth, 18); // a map, so that paths reach their end
        return value(r, depth, r.nextInt(depth > 0 ? 19 : 16));
    }

    private static Object value(Random r, int depth, int kind) {
        return switch (kind) {
            case 0 -> "plain";
            case 1 -> "";
            case 2 -> "{{ 7*7 }} {% if %}";
            case 3 -> " spaced \n";
            case 4 -> r.nextInt(2000) - 1000;
            case 5 -> r.nextLong();
            case 6 -> r.nextBoolean() ? 0.1 + r.nextInt(100) : (r.nextBoolean() ? 1e21 : -0.0);
            case 7 -> r.nextBoolean() ? Double.NaN : 3.0;
            case 8 -> 2.5f;
            case 9 -> new BigDecimal(r.nextBoolean() ? "1.50" : "1E+3");
            case 10 -> new BigInteger("123456789012345678901234567890");
            case 11 -> r.nextBoolean();
            case 12 -> null;
            case 13 -> (short) 7;
            case 14 -> 'c';
            case 15 -> "é漢🙂";
            case 16 -> {
                List<Object> list = new ArrayList<>();
                for (int i = r.nextInt(3); i > 0; i--) list.add(value(r, depth - 1));
                yield list;
            }
            case 17 -> Map.of(1, "integer key");
            default -> {
                Map<String, Object> map = new LinkedHashMap<>();
                for (String f : SUBFIELDS) {
                    if (r.nextInt(4) > 0) map.put(f, value(r, depth - 1));
                }
                yield map;
            }
        };
    }

    private interface Call {
        Object call();
    }

    /** The rendered text, or the failure's type and message. */
    private static String outcome(Call c) {
        Object v = value(c);
        return v instanceof Failure f ? f.toString() : (String) v;
    }

    private static Object value(Call c) {
        try {
            return c.call();
        } catch (RuntimeException e) {
            return new Failure(e.getClass().getName(), e.getMessage());
        }
    }

    private record Failure(String type, String message) {}
}
