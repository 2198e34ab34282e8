package dev.weft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.store.Reason;
import dev.weft.store.RecordStatus;
import dev.weft.store.RunStatus;
import dev.weft.store.Store;
import dev.weft.template.TemplateEngine;
import dev.weft.testkit.FakeModelServer;
import dev.weft.workflow.NodeKinds;
import dev.weft.workflow.WorkflowLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Text that looks like a template, whether it comes from a source record or from a model's
 * answer, is data: it reaches prompts, conditions, transforms, filter reasons and the sink as the
 * characters it is, and is never evaluated. Checked on the wire (what the fake server received)
 * and in the output file.
 */
class TemplateInjectionRunTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Each would change if it were evaluated: 49, XXX, a syntax error, the record's own id, ... */
    private static final List<String> NASTY = List.of(
            "{{ 7*7 }}",
            "{% for i in range(3) %}X{% endfor %}",
            "{% for %}",
            "{{ id }}",
            "{{ text }}",
            "{# comment #}gone?",
            "{% raw %}{{ 1 }}{% endraw %}",
            "{{ ''.getClass().forName('java.lang.Runtime') }}",
            "{% set x = 1 %}{{ x }}",
            "${7*7} #{7*7} %{7*7}",
            "{{",
            "}} {% endfor %} {%- if -%}");

    @TempDir
    Path dir;

    @Test
    void templateLookingValuesAreNeverEvaluated() throws Exception {
        try (FakeModelServer server = FakeModelServer.start()) {
            StringBuilder data = new StringBuilder();
            for (int i = 0; i < NASTY.size(); i++) {
                ObjectNode r = JSON.createObjectNode();
                r.put("id", "n" + i);
                r.put("text", NASTY.get(i));
                data.append(r).append('\n');
            }
            Files.writeString(dir.resolve("in.jsonl"), data, StandardCharsets.UTF_8);
            // The model answers with template syntax too; what follows must see it as text.
            server.answer("Echo n3:", "{{ 7*7 }} {% for i in range(3) %}{{ i }}{% endfor %} {{ text }}");
            Path wf = dir.resolve("workflow.yaml");
            Files.writeString(wf, """
                    name: injection
                    models:
                      writer: {provider: openai, model: fake, base_url: "%s", retry_delay: 10ms}
                    source: {path: in.jsonl, id: id}
                    nodes:
                      tidy:
                        kind: transform
                        set:
                          framed: "[{{ text }}]"
                          shout: "text | upper"
                          size: "text | length"
                          joined: "[text, id] | join('|')"
                      echo:
                        kind: llm
                        model: writer
                        prompt:
                          system: "Repeat exactly: {{ text }}"
                          user: "Echo {{ id }}: {{ framed }}"
                      again:
                        kind: llm
                        model: writer
                        prompt: "Again {{ id }}: {{ echo }}"
                      same:
                        kind: transform
                        set: {matched: "'yes'"}
                      other:
                        kind: transform
                        set: {matched: "'no'"}
                      screen:
                        kind: filter
                        rules:
                          - drop: "text == '{%% for %%}'"
                            reason: "dropped {{ text }} / {{ echo }}"
                    edges:
                      - tidy -> echo -> again
                      - {from: again, to: same, when: "text == '{{ 7*7 }}' or size == 49"}
                      - {from: again, to: other, otherwise: true}
                      - same -> screen
                      - other -> screen
                      - screen -> END
                    sink:
                      path: out.jsonl
                      map: {id: id, text: text, framed: framed, shout: shout, size: size, joined: joined, echo: echo, again: again, matched: matched}
                    """.formatted(server.baseUrl()), StandardCharsets.UTF_8);

            Path db = dir.resolve("weft.db");
            try (Store store = Store.open(db)) {
                Runner runner = new Runner(new WorkflowLoader(NodeKinds.builtIn(), new TemplateEngine()), new TemplateEngine(), store);
                RunResult r = runner.start(wf, RunOptions.defaults().withConcurrency(4), new RunMonitor());
                assertEquals(RunStatus.COMPLETED, r.status(), r.message());
                assertEquals(0, r.counters().failed(), () -> store.reasons(r.runId(), RecordStatus.FAILED, 10).toString());
                assertEquals(1, r.counters().filtered());
                List<Reason> filtered = store.reasons(r.runId(), RecordStatus.FILTERED, 10);
                assertTrue(filtered.get(0).text().startsWith("dropped {% for %} / Answer: Echo n2: [{% for %}]"), filtered.toString());
            }

            // On the wire: the prompts hold the characters, not what they would evaluate to.
            Map<String, FakeModelServer.RecordedRequest> echoes = new LinkedHashMap<>();
            Map<String, FakeModelServer.RecordedRequest> agains = new LinkedHashMap<>();
            for (FakeModelServer.RecordedRequest q : server.log()) {
                String u = q.lastUserMessage();
                if (u.startsWith("Echo ")) echoes.put(u.substring(5, u.indexOf(':')), q);
                if (u.startsWith("Again ")) agains.put(u.substring(6, u.indexOf(':')), q);
            }
            for (int i = 0; i < NASTY.size(); i++) {
                String id = "n" + i;
                String text = NASTY.get(i);
                assertEquals("Echo " + id + ": [" + text + "]", echoes.get(id).lastUserMessage());
                JsonNode system = JSON.readTree(echoes.get(id).body()).at("/messages/0/content");
                assertEquals("Repeat exactly: " + text, system.asText());
            }
            assertEquals("Again n3: {{ 7*7 }} {% for i in range(3) %}{{ i }}{% endfor %} {{ text }}", agains.get("n3").lastUserMessage(),
                    "a model's answer is data in the next prompt too");

            // In the output: every value as it was, conditions compared the literal text.
            List<String> lines = Files.readAllLines(dir.resolve("out.jsonl"), StandardCharsets.UTF_8);
            assertEquals(NASTY.size() - 1, lines.size());
            for (String line : lines) {
                JsonNode n = JSON.readTree(line);
                String id = n.get("id").asText();
                String text = NASTY.get(Integer.parseInt(id.substring(1)));
                assertEquals(text, n.get("text").asText(), line);
                assertEquals("[" + text + "]", n.get("framed").asText(), line);
                assertEquals(text.toUpperCase(java.util.Locale.ROOT), n.get("shout").asText(), line);
                assertEquals(text.length(), n.get("size").asInt(), line);
                assertEquals(text + "|" + id, n.get("joined").asText(), line);
                assertTrue(n.get("echo").asText().startsWith("Answer: Echo " + id + ": [") || id.equals("n3"), line);
                assertEquals(text.equals("{{ 7*7 }}") ? "yes" : "no", n.get("matched").asText(), "the condition saw the literal text: " + line);
                assertFalse(n.get("framed").asText().contains("49") || n.get("framed").asText().contains("XXX"), line);
            }
        }
    }
}
