package dev.weft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.store.RecordRow;
import dev.weft.store.RecordStatus;
import dev.weft.store.RunStatus;
import dev.weft.store.Store;
import dev.weft.template.TemplateEngine;
import dev.weft.testkit.FakeModelServer;
import dev.weft.workflow.NodeKinds;
import dev.weft.workflow.WorkflowLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent whose tools each record defines ({@code tools: [{from: EXPR, workflow: FILE}]}), through
 * whole runs against the fake OpenAI server: every record offers its own functions under their own
 * names, a call runs the simulator workflow with the function's name, arguments and spec, the output
 * holds the real names and schemas, a replay makes no call, an edited spec is asked again, and an
 * unusable spec fails its record alone with a message that says what is wrong.
 */
class AgentRecordToolsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private FakeModelServer server;

    @BeforeEach
    void start() {
        server = FakeModelServer.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** Record a defines a library API as a list; b a weather API as JSON text, OpenAI-wrapped, with the parameter-list form. */
    private static final String RECORDS = """
            {"id": "a", "task": "Find Dune.", "apis": [{"name": "search_books", "description": "Finds books by title.", "parameters": {"type": "object", "properties": {"title": {"type": "string", "description": "Words of the title."}}, "required": ["title"]}}, {"name": "place_hold", "description": "Reserves a book.", "parameters": {"type": "object", "properties": {"isbn": {"type": "string"}, "card": {"type": "string"}}, "required": ["isbn", "card"]}}]}
            {"id": "b", "task": "Weather in Lima?", "apis": "```json\\n[{\\"type\\": \\"function\\", \\"function\\": {\\"name\\": \\"get_forecast\\", \\"description\\": \\"Daily forecast.\\", \\"parameters\\": [{\\"name\\": \\"city\\", \\"type\\": \\"string\\", \\"description\\": \\"A city.\\", \\"required\\": true}, {\\"name\\": \\"days\\", \\"type\\": \\"integer\\", \\"required\\": false}, {\\"name\\": \\"fields\\", \\"type\\": \\"array\\"}]}}]\\n```"}
            """;

    private Path workflow(String records, String tools) throws Exception {
        Files.createDirectories(dir.resolve("tools"));
        Files.writeString(dir.resolve("in.jsonl"), records);
        Files.writeString(dir.resolve("tools/api.yaml"), """
                name: simulated-api
                models:
                  api: {provider: openai, model: fake-api, base_url: "%s", retry_delay: 10ms, max_retries: 0}
                source: {generate: 1}
                nodes:
                  respond:
                    kind: llm
                    model: api
                    prompt: "API {{ name }} called with {{ arguments }}. Its spec: {{ spec }}"
                    output: response
                edges:
                  - respond -> END
                """.formatted(server.baseUrl()));
        Path wf = dir.resolve("workflow.yaml");
        Files.writeString(wf, """
                name: record-tools
                models:
                  agent: {provider: openai, model: fake, base_url: "%s", retry_delay: 10ms, max_retries: 0}
                source: {path: in.jsonl, id: id}
                nodes:
                  solve:
                    kind: agent
                    model: agent
                    prompt: "Task {{ id }}: {{ task }}"
                    tools:
                %s
                    max_steps: 4
                edges:
                  - solve -> END
                sink: {path: out.jsonl, map: {id: id, messages: solve.messages, tools: solve.tools}}
                """.formatted(server.baseUrl(), tools));
        return wf;
    }

    private static final String RECORD_TOOLS = "      - {from: apis, workflow: tools/api.yaml, output: response}";

    private static RunResult run(Store store, Path wf, RunOptions options) {
        return new Runner(new WorkflowLoader(NodeKinds.builtIn(), new TemplateEngine()), new TemplateEngine(), store)
                .start(wf, options, new RunMonitor());
    }

    private static Map<String, RecordRow> records(Store store, String runId) {
        Map<String, RecordRow> rows = new HashMap<>();
        for (RecordRow row : store.records(runId, -1, 100)) rows.put(row.recordId(), row);
        return rows;
    }

    private static List<String> names(JsonNode tools) {
        return tools.findValues("name").stream().map(JsonNode::asText).toList();
    }

    @Test
    void eachRecordOffersItsOwnFunctionsByNameAndTheSimulatorWorkflowAnswersThem() throws Exception {
        server.toolCalls("Task a:", "search_books {\"title\": \"Dune\"}", "place_hold {\"isbn\": \"978-0441013593\", \"card\": \"2291\"}")
                .toolCalls("Task b:", "get_forecast {\"city\": \"Lima\", \"days\": 2}")
                .answer("API search_books", "{\"results\": [{\"isbn\": \"978-0441013593\", \"title\": \"Dune\"}]}")
                .answer("API place_hold", "{\"hold_id\": \"H-17\", \"position\": 1}")
                .answer("API get_forecast", "{\"days\": [{\"max\": 19}, {\"max\": 21}]}");
        Path wf = workflow(RECORDS, RECORD_TOOLS);
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            RunResult r = run(store, wf, RunOptions.defaults());
            assertEquals(RunStatus.COMPLETED, r.status(), r.message());
            assertEquals(2, r.counters().done(), records(store, r.runId()).toString());

            List<String> lines = Files.readAllLines(dir.resolve("out.jsonl"));
            JsonNode a = JSON.readTree(lines.get(0));
            assertEquals(List.of("search_books", "place_hold"), names(a.get("tools")), "record a's functions, in its order");
            assertEquals("function", a.at("/tools/0/type").asText());
            assertEquals("Words of the title.", a.at("/tools/0/function/parameters/properties/title/description").asText());
            JsonNode m = a.get("messages");
            assertEquals(6, m.size(), m.toPrettyString()); // user, call, result, call, result, answer
            assertEquals("search_books", m.at("/1/tool_calls/0/function/name").asText(), "the real name, not a dispatcher's");
            assertEquals("{\"title\": \"Dune\"}", m.at("/1/tool_calls/0/function/arguments").asText());
            assertEquals(m.at("/1/tool_calls/0/id").asText(), m.at("/2/tool_call_id").asText());
            assertEquals("{\"results\": [{\"isbn\": \"978-0441013593\", \"title\": \"Dune\"}]}", m.at("/2/content").asText(),
                    "the simulator workflow's `response` field");
            assertEquals("place_hold", m.at("/3/tool_calls/0/function/name").asText());
            assertEquals("{\"hold_id\": \"H-17\", \"position\": 1}", m.at("/4/content").asText());

            JsonNode b = JSON.readTree(lines.get(1));
            assertEquals(List.of("get_forecast"), names(b.get("tools")), "record b's own function, from JSON text in a fence");
            assertEquals("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"description\":\"A city.\"},"
                    + "\"days\":{\"type\":\"integer\"},\"fields\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},"
                    + "\"required\":[\"city\"]}", b.at("/tools/0/function/parameters").toString(),
                    "the parameter list became a JSON Schema object (a list without items holds texts)");
            assertEquals("get_forecast", b.at("/messages/1/tool_calls/0/function/name").asText());
            assertEquals("{\"days\": [{\"max\": 19}, {\"max\": 21}]}", b.at("/messages/2/content").asText());

            // Over the wire: each record's requests offer its functions only; the simulator got name, arguments and spec.
            JsonNode offeredB = JSON.readTree(server.log().stream().filter(q -> q.lastUserMessage().startsWith("Task b:")).findFirst()
                    .orElseThrow().body()).get("tools");
            assertEquals(List.of("get_forecast"), names(offeredB));
            String simulated = server.log().stream().filter(q -> "fake-api".equals(q.model()))
                    .map(FakeModelServer.RecordedRequest::lastUserMessage).filter(t -> t.startsWith("API get_forecast")).findFirst().orElseThrow();
            assertEquals("API get_forecast called with {\"city\":\"Lima\",\"days\":2}. Its spec: {\"name\":\"get_forecast\","
                    + "\"description\":\"Daily forecast.\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\","
                    + "\"description\":\"A city.\"},\"days\":{\"type\":\"integer\"},\"fields\":{\"type\":\"array\",\"items\":"
                    + "{\"type\":\"string\"}}},\"required\":[\"city\"]}}", simulated);
            assertEquals(8, server.requests(), "a: 3 agent calls + 2 API calls; b: 2 + 1");

            // Replay: the agent's calls and the functions' results all come from the cache, byte for byte.
            byte[] output = Files.readAllBytes(dir.resolve("out.jsonl"));
            server.resetCounters();
            server.clearAnswers();
            RunResult replay = run(store, wf, RunOptions.defaults().withCacheMode(CacheMode.ONLY));
            assertEquals(2, replay.counters().done(), records(store, replay.runId()).toString());
            assertEquals(0, server.requests(), "--cache-only: no model call, no simulator call");
            assertEquals(new String(output), Files.readString(dir.resolve("out.jsonl")));
            RunResult again = run(store, wf, RunOptions.defaults());
            assertEquals(0, server.requests(), "a second run is free");
            assertEquals(0, again.counters().calls());
        }
    }

    @Test
    void anEditedSpecIsOfferedAndAnsweredAgainWhileTheOtherRecordStaysCached() throws Exception {
        server.toolCalls("Task a:", "search_books {\"title\": \"Dune\"}")
                .toolCalls("Task b:", "get_forecast {\"city\": \"Lima\"}")
                .answer("Finds books by title.", "{\"results\": []}")
                .answer("Finds books by title or author.", "{\"results\": [\"Dune\"]}");
        Path wf = workflow(RECORDS, RECORD_TOOLS);
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            run(store, wf, RunOptions.defaults());
            assertEquals("{\"results\": []}", JSON.readTree(Files.readAllLines(dir.resolve("out.jsonl")).get(0)).at("/messages/2/content").asText());
            long first = server.requests();
            assertEquals(6, first);

            Files.writeString(dir.resolve("in.jsonl"), RECORDS.replace("Finds books by title.", "Finds books by title or author."));
            server.resetCounters();
            RunResult edited = run(store, wf, RunOptions.defaults());
            assertEquals(2, edited.counters().done(), records(store, edited.runId()).toString());
            JsonNode a = JSON.readTree(Files.readAllLines(dir.resolve("out.jsonl")).get(0));
            assertEquals("Finds books by title or author.", a.at("/tools/0/function/description").asText());
            assertEquals("{\"results\": [\"Dune\"]}", a.at("/messages/2/content").asText(), "the edited function is simulated anew");
            assertEquals(3, server.requests(), "record a asks its agent twice and its simulator once again; record b is all hits");
        }
    }

    @Test
    void anUnusableSpecFailsItsRecordAloneWithWhatIsWrong() throws Exception {
        String records = """
                {"id": "ok", "task": "Fine.", "apis": [{"name": "ping", "parameters": {"type": "object", "properties": {}}}]}
                {"id": "missing", "task": "No field."}
                {"id": "number", "task": "A number.", "apis": 7}
                {"id": "prose", "task": "Prose.", "apis": "Here are the APIs you asked for."}
                {"id": "empty", "task": "Empty.", "apis": []}
                {"id": "noname", "task": "No name.", "apis": [{"name": "ping"}, {"description": "Does it."}]}
                {"id": "badname", "task": "Bad name.", "apis": [{"name": "get weather"}]}
                {"id": "twice", "task": "Twice.", "apis": [{"name": "ping"}, {"name": "pong"}, {"name": "ping"}]}
                {"id": "clash", "task": "Clash.", "apis": [{"name": "calculator"}]}
                {"id": "string_schema", "task": "Schema.", "apis": [{"name": "ping", "parameters": {"type": "string"}}]}
                {"id": "untyped", "task": "Untyped.", "apis": [{"name": "ping", "parameters": {"properties": {"x": {"type": "string"}}}}]}
                {"id": "bad_params", "task": "Params.", "apis": [{"name": "ping", "parameters": [{"type": "string"}]}]}
                {"id": "bad_schema", "task": "Schema.", "apis": [{"name": "ping", "parameters": {"type": "object", "properties": {"x": {"minLength": "two"}}}}]}
                {"id": "unknown_call", "task": "Unknown.", "apis": [{"name": "ping"}]}
                {"id": "undefined_required", "task": "Required.", "apis": [{"name": "ping", "parameters": {"type": "object", "properties": {}, "required": ["zz"]}}]}
                """;
        server.toolCalls("Task unknown_call:", "pong {}");
        Path wf = workflow(records, RECORD_TOOLS + "\n      - calculator");
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            RunResult r = run(store, wf, RunOptions.defaults());
            assertEquals(RunStatus.COMPLETED, r.status(), r.message());
            Map<String, RecordRow> rows = records(store, r.runId());
            assertEquals(RecordStatus.DONE, rows.get("ok").status(), rows.get("ok").error());
            assertEquals(RecordStatus.DONE, rows.get("empty").status(), "an empty list is fine beside the node's fixed calculator");
            assertEquals(List.of("calculator"), names(JSON.readTree(rows.get("empty").stateJson()).at("/solve/tools")));
            Map<String, String> expected = new java.util.LinkedHashMap<>();
            expected.put("missing", "`from: apis` gave nothing for this record; it must give a list of function specs ({name, description, parameters})");
            expected.put("number", "`from: apis` must give a list of function specs ({name, description, parameters}), found the number 7");
            expected.put("prose", "`from: apis` gave text that is not JSON (Unrecognized token 'Here': was expecting (JSON String, Number,"
                    + " Array, Object or token 'null', 'true' or 'false')): Here are the APIs you asked for.");
            expected.put("noname", "`from: apis`, item 2 has no `name`");
            expected.put("badname", "`from: apis`, item 1: function name 'get weather' must be 1 to 64 letters, digits, _ or -");
            expected.put("twice", "`from: apis`: items 1 and 3 are both named 'ping'; function names must be unique");
            expected.put("clash", "two tools are named 'calculator' (`from: apis` and the node's own tool); tool names must be unique,"
                    + " so rename the record's function");
            expected.put("string_schema", "`from: apis`, item 1 ('ping'): `parameters` must be a JSON Schema object ({\"type\": \"object\","
                    + " \"properties\": {...}}) or a list of parameters ({name, type, description, required}), found {\"type\":\"string\"}");
            expected.put("untyped", "`from: apis`, item 1 ('ping'): `parameters` must be a JSON Schema object ({\"type\": \"object\","
                    + " \"properties\": {...}}) or a list of parameters ({name, type, description, required}), found"
                    + " {\"properties\":{\"x\":{\"type\":\"string\"}}}");
            expected.put("bad_params", "`from: apis`, item 1 ('ping'), parameter 1 has no `name`");
            expected.put("undefined_required", "`from: apis`, item 1 ('ping'): `required` names 'zz', which `parameters.properties` does not define");
            expected.forEach((id, message) -> {
                RecordRow row = rows.get(id);
                assertEquals(RecordStatus.FAILED, row.status(), id);
                assertEquals("node 'solve': " + message, row.error(), id);
            });
            RecordRow badSchema = rows.get("bad_schema");
            assertEquals(RecordStatus.FAILED, badSchema.status(), badSchema.error());
            assertTrue(badSchema.error().startsWith("node 'solve': `from: apis`, item 1 ('ping'): `parameters` is not a valid JSON Schema: ")
                    && badSchema.error().contains("minLength"),
                    badSchema.error());

            RecordRow unknown = rows.get("unknown_call");
            assertEquals(RecordStatus.DONE, unknown.status(), unknown.error());
            assertEquals("error: there is no tool named 'pong'; the tools are: ping, calculator",
                    JSON.readTree(unknown.stateJson()).at("/solve/messages/2/content").asText(), "an unknown name goes back to the model");
            assertEquals(15 - expected.size() - 1, r.counters().done());
        }
    }

    @Test
    void aRecordWithNoFunctionsAndNoOtherToolFails() throws Exception {
        Path wf = workflow("{\"id\": \"none\", \"task\": \"Nothing.\", \"apis\": \"[]\"}\n", RECORD_TOOLS);
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            RunResult r = run(store, wf, RunOptions.defaults());
            RecordRow row = records(store, r.runId()).get("none");
            assertEquals(RecordStatus.FAILED, row.status());
            assertEquals("node 'solve': this record defines no functions (`from: apis` gave an empty list) and the node has no other tools;"
                    + " an agent needs at least one tool", row.error());
            assertEquals(0, server.requests(), "no model is asked without tools");
        }
    }

    @Test
    void theSimulatorCallsTheRecordsFirstFunctionByItsName() throws Exception {
        Path wf = workflow(RECORDS, RECORD_TOOLS);
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            RunResult r = run(store, wf, RunOptions.defaults().withSimulate(true));
            assertEquals(2, r.counters().done(), records(store, r.runId()).toString());
            List<String> lines = Files.readAllLines(dir.resolve("out.jsonl"));
            JsonNode a = JSON.readTree(lines.get(0)).get("messages");
            assertEquals("search_books", a.at("/1/tool_calls/0/function/name").asText(), a.toPrettyString());
            assertTrue(JSON.readTree(a.at("/1/tool_calls/0/function/arguments").asText()).get("title").isTextual());
            assertTrue(!a.at("/2/content").asText().isBlank(), "the simulated API answered");
            JsonNode b = JSON.readTree(lines.get(1)).get("messages");
            assertEquals("get_forecast", b.at("/1/tool_calls/0/function/name").asText());
            assertEquals(0, server.requests());
        }
    }
}
