package dev.weft.yaml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.workflow.Location;
import dev.weft.workflow.Problem;
import dev.weft.workflow.Problems;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class YamlReaderTest {
    private static final YamlReader READER = new YamlReader();

    private record Read(Optional<YamlValue> value, List<Problem> problems) {}

    private static Read read(String text) {
        Problems problems = new Problems();
        Optional<YamlValue> v = READER.read(text, "w.yaml", problems);
        return new Read(v, problems.list());
    }

    private static String billionLaughs(int levels, int fanOut) {
        StringBuilder b = new StringBuilder("name: lol\n");
        b.append("l0: &l0 [").append(String.join(",", java.util.Collections.nCopies(fanOut, "\"lol\""))).append("]\n");
        for (int i = 1; i < levels; i++) {
            b.append("l").append(i).append(": &l").append(i).append(" [")
                    .append(String.join(",", java.util.Collections.nCopies(fanOut, "*l" + (i - 1)))).append("]\n");
        }
        return b.toString();
    }

    @Test
    void billionLaughsIsRefusedQuicklyWithAClearMessage() {
        // 10^9 strings if expanded; must be refused long before.
        String bomb = billionLaughs(10, 10);
        Read r = assertTimeoutPreemptively(Duration.ofSeconds(2), () -> read(bomb));
        assertTrue(r.value().isEmpty());
        assertEquals(1, r.problems().size(), r.problems().toString());
        Problem p = r.problems().get(0);
        assertTrue(p.message().contains("aliases") && p.message().contains("refusing to read it"), p.message());
        assertEquals(new Location("w.yaml", 2, 5), p.location(), "at the anchor that is expanded over and over");
    }

    @Test
    void manyAliasesAreRefusedByTheParserToo() {
        StringBuilder b = new StringBuilder("a: &a [x]\nb: [");
        for (int i = 0; i < 500; i++) b.append(i == 0 ? "" : ",").append("*a");
        Read r = assertTimeoutPreemptively(Duration.ofSeconds(2), () -> read(b + "]\n"));
        assertTrue(r.value().isEmpty());
        assertTrue(r.problems().get(0).message().startsWith("YAML"), r.problems().toString());
    }

    @Test
    void aFewAliasesAreFine() {
        Read r = read("base: &base {provider: simulated, model: sim}\nmodels:\n  a: *base\n  b: *base\n");
        assertTrue(r.problems().isEmpty(), r.problems().toString());
        assertEquals(Map.of("provider", "simulated", "model", "sim"), ((Map<?, ?>) r.value().orElseThrow().toPlain()).get("base"));
    }

    @Test
    void deepNestingIsRefusedWithoutAStackOverflow() {
        for (String deep : List.of(
                "a: " + "[".repeat(10_000) + "]".repeat(10_000) + "\n",
                "a: " + "{a: ".repeat(10_000) + "1" + "}".repeat(10_000) + "\n",
                "\n" + "- ".repeat(10_000) + "x\n")) {
            Read r = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> read(deep));
            assertTrue(r.value().isEmpty());
            assertEquals(1, r.problems().size(), r.problems().toString());
            assertTrue(r.problems().get(0).message().startsWith("YAML nesting is too deep (more than " + YamlReader.MAX_DEPTH + " levels)"),
                    r.problems().toString());
            assertEquals(deep.startsWith("\n") ? 2 : 1, r.problems().get(0).location().line(), "at the level that is one too deep");
        }
        Read ok = read("a: " + "[".repeat(20) + "]".repeat(20) + "\n");
        assertTrue(ok.problems().isEmpty(), "a little nesting is fine: " + ok.problems());
    }

    @Test
    void duplicateKeysAreReportedAtTheSecondPlaceNamingTheFirst() {
        Read r = read("""
                name: one
                nodes:
                  ask: {kind: llm}
                  answer: {kind: llm}
                  ask: {kind: judge}
                name: two
                """);
        assertEquals(List.of(
                "w.yaml:5:3: duplicate key 'ask' (first at line 3); YAML would silently keep only the last one, so rename or remove one of them",
                "w.yaml:6:1: duplicate key 'name' (first at line 1); YAML would silently keep only the last one, so rename or remove one of them"),
                r.problems().stream().map(Problem::toString).toList());
        // The first one is kept, so later checks still see a whole workflow.
        YamlValue.Mapping top = (YamlValue.Mapping) r.value().orElseThrow();
        assertEquals("one", ((YamlValue.Scalar) top.get("name")).text());
        assertEquals(new Location("w.yaml", 1, 1), top.keyLocation("name"));
    }

    @Test
    void tagsAreRefusedAsWritten() {
        Read r = read("a: !!java.lang.Runtime [calc]\nb: !env HOME\nc: !!binary aGVsbG8=\nd: !!str 12\n");
        assertEquals(List.of(
                "w.yaml:1:4: YAML tag !!java.lang.Runtime is not allowed; workflows use plain values only, remove the tag",
                "w.yaml:2:4: YAML tag !env is not allowed; workflows use plain values only, remove the tag",
                "w.yaml:3:4: YAML tag !!binary is not allowed; workflows use plain values only, remove the tag"),
                r.problems().stream().map(Problem::toString).toList());
        assertEquals("12", ((Map<?, ?>) r.value().orElseThrow().toPlain()).get("d"), "standard tags are plain values");
    }

    @Test
    void scalarsAreTypedByYaml12CoreSchema() {
        Read r = read("i: 12\nf: 0.5\nb: true\nn: null\ns: 'x'\nno: no\nhex: 0x1F\n");
        assertTrue(r.problems().isEmpty(), r.problems().toString());
        Map<?, ?> plain = (Map<?, ?>) r.value().orElseThrow().toPlain();
        assertEquals(12L, plain.get("i"));
        assertEquals(0.5, plain.get("f"));
        assertEquals(true, plain.get("b"));
        assertTrue(plain.containsKey("n") && plain.get("n") == null);
        assertEquals("x", plain.get("s"));
        assertEquals("no", plain.get("no"), "YAML 1.2: `no` is a string, not false");
        assertEquals(31L, plain.get("hex"));
    }

    @Test
    void syntaxErrorsSayWhereTheUnfinishedPartBegan() {
        Read r = read("a: {b: 1\nc: 2\n");
        assertEquals(1, r.problems().size());
        Problem p = r.problems().get(0);
        assertTrue(p.message().startsWith("YAML syntax error: "), p.message());
        assertTrue(p.message().contains("starts at line 1, column 4"), p.message());

        Read tabs = read("a:\n\tb: 1\n");
        assertEquals("w.yaml:2:1: YAML syntax error: a tab is used for indentation; YAML indents with spaces only, replace the tab with spaces",
                tabs.problems().get(0).toString());

        Read empty = read("# only a comment\n");
        assertTrue(empty.value().isEmpty());
        assertTrue(empty.problems().get(0).message().startsWith("the file is empty"), empty.problems().toString());
    }

    @Test
    void everyValueKnowsItsPlace() {
        YamlValue.Mapping top = (YamlValue.Mapping) read("""
                nodes:
                  ask:
                    prompt: |
                      Hello
                    when: "x"
                """).value().orElseThrow();
        YamlValue.Mapping ask = (YamlValue.Mapping) ((YamlValue.Mapping) top.get("nodes")).get("ask");
        assertEquals(new Location("w.yaml", 2, 3), ((YamlValue.Mapping) top.get("nodes")).keyLocation("ask"));
        YamlValue.Scalar prompt = (YamlValue.Scalar) ask.get("prompt");
        assertTrue(prompt.block());
        assertEquals(new Location("w.yaml", 3, 13), prompt.location());
        YamlValue.Scalar when = (YamlValue.Scalar) ask.get("when");
        assertTrue(when.quoted());
        assertEquals(new Location("w.yaml", 5, 11), when.location());
    }
}
