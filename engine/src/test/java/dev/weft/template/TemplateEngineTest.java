package dev.weft.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.workflow.Location;
import dev.weft.workflow.Problem;
import dev.weft.workflow.Problems;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class TemplateEngineTest {
    private static final TemplateEngine ENGINE = new TemplateEngine();
    private static final Location AT = new Location("wf.yaml", 3, 5);

    private static Template template(String source) {
        Problems problems = new Problems();
        Template t = ENGINE.template(source, TextOrigin.ofFile("prompt.txt"), problems);
        assertNotNull(t, () -> source + ": " + problems.list());
        return t;
    }

    private static List<Problem> templateProblems(String source) {
        Problems problems = new Problems();
        assertNull(ENGINE.template(source, TextOrigin.ofFile("prompt.txt"), problems), source + " should not compile");
        return problems.list();
    }

    private static Expression expression(String source) {
        Problems problems = new Problems();
        Expression e = ENGINE.expression(source, AT, problems);
        assertNotNull(e, () -> source + ": " + problems.list());
        return e;
    }

    private static List<String> reads(Template t) {
        return t.reads().stream().map(FieldRead::field).toList();
    }

    // ---- a record's values are data

    @ParameterizedTest
    @ValueSource(strings = {"{{ 7*7 }}", "{% for x in [1,2] %}x{% endfor %}", "{{ 7*7 }} and {% if true %}yes{% endif %}",
            "{% include 'x' %}", "{{ undefined_thing | upper }}", "{#", "{{"})
    void aRecordValueIsNeverExpanded(String value) {
        Template t = template("Q: {{ q }} / {{ q ~ '' }}");
        assertEquals("Q: " + value + " / " + value, ENGINE.render(t, Map.of("q", value)));
    }

    @Test
    void aValueInsideAListOrMapIsDataToo() {
        Template t = template("{% for item in items %}[{{ item.text }}]{% endfor %}");
        assertEquals("[{{ 7*7 }}][{% raw %}]", ENGINE.render(t, Map.of("items",
                List.of(Map.of("text", "{{ 7*7 }}"), Map.of("text", "{% raw %}")))));
    }

    // ---- expressions are typed

    @Test
    void expressionsEvaluateToTypedValues() {
        Map<String, Object> state = new HashMap<>();
        state.put("grade", Map.of("score", 5, "reason", "vague"));
        state.put("answer", "forty-two");
        state.put("tags", List.of("a", "b", "c"));

        assertEquals(Boolean.TRUE, ENGINE.evaluate(expression("grade.score < 7"), state));
        assertEquals(Boolean.FALSE, ENGINE.evaluate(expression("grade.score >= 7"), state));
        Object length = ENGINE.evaluate(expression("answer | length"), state);
        assertInstanceOf(Number.class, length);
        assertEquals(9, ((Number) length).intValue());
        assertEquals(3, ((Number) ENGINE.evaluate(expression("tags | length"), state)).intValue());
        assertEquals(10L, ((Number) ENGINE.evaluate(expression("grade.score * 2"), state)).longValue());
        assertEquals("FORTY-TWO!", ENGINE.evaluate(expression("(answer | upper) ~ '!'"), state));
        assertEquals(Boolean.TRUE, ENGINE.evaluate(expression("'b' in tags and grade.reason == 'vague'"), state));
        assertTrue(ENGINE.test(expression("answer"), state));
        assertTrue(!ENGINE.test(expression("''"), state), "an empty string is false, as in Jinja");
    }

    @Test
    void anExpressionKnowsWhatItReads() {
        assertEquals(List.of("grade"), expression("grade.score < 7").reads().stream().map(FieldRead::field).toList());
        assertEquals(List.of("answer", "limit"), expression("answer | length > limit").reads().stream().map(FieldRead::field).toList());
        assertEquals(AT, expression("x").reads().get(0).at());
    }

    @Test
    void aSliceWithAnOpenEndReadsItsBoundsAndEvaluates() {
        Map<String, Object> state = Map.of("tags", List.of("a", "b", "c"), "n", 2);
        assertEquals(List.of("a", "b"), ENGINE.evaluate(expression("tags[:n]"), state));
        assertEquals(List.of("b", "c"), ENGINE.evaluate(expression("tags[1:]"), state));
        assertEquals(List.of("tags", "n"), expression("tags[:n]").reads().stream().map(FieldRead::field).toList());
        assertEquals(List.of("tags", "n"), reads(template("{% for t in tags[:n] %}{{ t }}{% endfor %}")));
    }

    // ---- reads()

    @Test
    void readsListsRootFieldsOnce() {
        Template t = template("{{ question }} {{ grade.score }} {{ grade['reason'] }} {{ tags[0] | upper }} {{ question }} {{ a if b else c }}");
        assertEquals(List.of("question", "grade", "tags", "a", "b", "c"), reads(t));
    }

    @Test
    void readsExcludeLoopVariablesSetLocalsAndLoop() {
        Template t = template("""
                {% set n = tags | length %}
                {% for t in tags %}{{ loop.index }}/{{ n }}: {{ t | upper }} {{ t.name }}{% endfor %}
                {% for k, v in pairs.items() %}{{ k }}={{ v }}{% endfor %}
                {% set greeting %}Hello {{ who }}{% endset %}{{ greeting }}
                {{ question }}""");
        assertEquals(List.of("tags", "pairs", "who", "question"), reads(t));
    }

    @Test
    void aFieldReadBeforeALocalOfTheSameNameIsStillRead() {
        assertEquals(List.of("n"), reads(template("{{ n }}{% set n = 1 %}{{ n }}")));
        assertEquals(List.of("t", "tags"), reads(template("{{ t }}{% for t in tags %}{{ t }}{% endfor %}")));
    }

    @Test
    void keywordArgumentsFunctionsAndMacrosAreNotFields() {
        assertEquals(List.of("answer"), reads(template("{{ answer | truncate(length=20, killwords=true) }}")));
        assertEquals(List.of("items"), reads(template("{{ items | map(attribute='name') | join(', ') }}")));
        assertEquals(List.of("limit"), reads(template("{% for i in range(limit) %}{{ i }}{% endfor %}")));
        assertEquals(List.of("who"), reads(template("{% macro hello(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ hello(who) }}")));
        assertEquals(List.of(), reads(template("{% raw %}{{ not_a_field }}{% endraw %}{# {{ nor_this }} #}")));
    }

    // ---- refused

    @ParameterizedTest
    @ValueSource(strings = {"{% include 'x' %}", "{% import 'macros.j2' as m %}", "{% from 'x' import y %}", "{% extends 'base' %}"})
    void includesAndImportsAreRefused(String source) {
        List<Problem> problems = templateProblems("Intro\n" + source);
        assertEquals(1, problems.size(), problems.toString());
        assertEquals(new Location("prompt.txt", 2, 1), problems.get(0).location());
        assertTrue(problems.get(0).message().contains("cannot include or import files"), problems.get(0).message());
    }

    @Test
    void includeIsRefusedAtRenderTimeToo() {
        // Even a template that bypassed the check cannot read a file.
        TemplateException e = assertThrows(TemplateException.class,
                () -> ENGINE.render(new Template("{% include '/etc/passwd' %}", List.of()), Map.of()));
        assertTrue(e.getMessage().contains("cannot include or import files"), e.getMessage());
    }

    static Stream<Arguments> mistakes() {
        return Stream.of(
                Arguments.of("Hi {{ name | uppper }}", "1:4", "unknown filter 'uppper' in {{ name | uppper }}; did you mean 'upper'?"),
                Arguments.of("a\n  {% if x is strng %}y{% endif %}", "2:3", "unknown test 'strng' in {% if x is strng %}; did you mean 'string'?"),
                Arguments.of("{{ shout(x) }}", "1:1", "unknown function 'shout' in {{ shout(x) }}"),
                Arguments.of("x {{ a + }}", "1:3", "template syntax error in {{ a + }}: the expression stops where a name or a value should follow"),
                Arguments.of("{% if a %}b", "1:1", "template error: {% if a %} is never closed; add {% endif %}"),
                Arguments.of("{% for x in xs %}{% endif %}{% endfor %}", "1:18",
                        "template error: {% endif %} closes a tag that is not open; {% endfor %} was expected first"),
                Arguments.of("one\ntwo {{ x }", "2:5", "template error: a {{ or {% is not closed; add the matching }} or %}"));
    }

    @ParameterizedTest
    @MethodSource("mistakes")
    void mistakesAreReportedAtTheirPlace(String source, String place, String message) {
        List<Problem> problems = templateProblems(source);
        assertEquals(List.of("prompt.txt:" + place + ": " + message), problems.stream().map(Problem::toString).toList());
    }

    @Test
    void anExpressionWithASyntaxErrorIsReportedAtItsStart() {
        Problems problems = new Problems();
        assertNull(ENGINE.expression("grade.score <", AT, problems));
        assertEquals("wf.yaml:3:5: expression syntax error in `grade.score <`: the expression stops where a name or a value should follow",
                problems.list().get(0).toString());
    }

    @Test
    void fieldsWhoseAbsenceTheTemplateHandlesAreNotRequired() {
        assertEquals(List.of("topic"), reads(template("{{ topic }} {{ hint | default('none') }} {{ extra.note | d('') }}")));
        assertEquals(List.of(), reads(template("{% if persona is defined %}As {{ persona.name }}: {% endif %}go")));
        assertEquals(List.of("persona"), reads(template("{{ persona | default('x') }} {{ persona.name }}")),
                "a plain read elsewhere still needs the field");
        assertEquals(List.of("tone"), reads(template("{% if tone is defined %}a{% endif %}{{ tone }}")),
                "outside the guarded block the read counts");
        assertEquals("plain / none", ENGINE.render(template("{{ style | default('plain') }} / {{ hint | d('none') }}"), java.util.Map.of()));
    }
}
