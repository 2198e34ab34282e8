package dev.weft.library;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.workflow.Problems;
import dev.weft.yaml.YamlReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A library workflow's {@code expect.yaml}: what its output on the seed data must look like.
 *
 * <pre>
 * simulate: {records: 6}          # exact number of output lines under --simulate
 * server:                         # against the HTTP test server
 *   min_records: 1                # at least this many lines
 *   answers: {TEXT: REPLY}        # optional: the server replies REPLY when the last user message contains TEXT
 * fields:                         # every line; a JSON Pointer ("*" = every element of a list, if any) to its type
 *   /messages: chat
 *   /score: integer 1..10
 *   /verdict: [keep, drop]        # one of these values
 * distinct: [[/chosen, /rejected]] # optional: on every line these values differ
 * calls_offered: [/messages, /tools] # optional: every tool call in the chat names a tool of that list
 * fan_out:                        # optional, for a workflow with an explode node: the run's records in the store
 *   parents: 4                    # records that fanned out (status exploded)
 *   children: [p1/0, p1/1, ...]   # every other record's id, in record order, whether kept, filtered or failed
 *   id: /id                       # the output lines' ids (at this pointer) are some of these children, in the same order
 * </pre>
 *
 * Types: {@code text} (a string with a non-space character), {@code matches REGEX} (a string the
 * whole of which matches the Java regular expression, e.g. an exploded record's id
 * {@code matches pd-0[1-3]/[0-9]+/[0-9]+}), {@code string}, {@code integer},
 * {@code integer A..B}, {@code number}, {@code number A..B}, {@code boolean}, {@code list}
 * (non-empty), {@code object}, {@code chat} (a non-empty list of messages with a role and text
 * content, or OpenAI tool calls), {@code tool-chat} (a chat in OpenAI's tool-use format with at
 * least one tool call, every tool result answering an earlier call, ending in the assistant's
 * text), {@code tools} (OpenAI's {@code tools} list). Immutable.
 */
record Expectation(int simulatedRecords, int serverMinRecords, Map<String, String> serverAnswers, Map<String, Object> fields,
                   List<List<String>> distinct, List<String> callsOffered, FanOut fanOut) {

    /**
     * What an explode node must have made of the seed data: how many records fanned out, and the
     * ids of all the others (so children = parents × items, with the ids `parent/0`, `parent/1`, ...).
     */
    record FanOut(int parents, List<String> children, String idPointer) {}

    private static final Pattern RANGE = Pattern.compile("(integer|number) (-?[0-9.]+)\\.\\.(-?[0-9.]+)");

    @SuppressWarnings("unchecked")
    static Expectation read(Path file) throws IOException {
        Problems problems = new Problems();
        Object plain = new YamlReader().read(Files.readString(file), file.toString(), problems)
                .orElseThrow(() -> new AssertionError(file + " is not YAML: " + problems.list())).toPlain();
        Map<String, Object> top = (Map<String, Object>) plain;
        Map<String, Object> simulate = (Map<String, Object>) require(top, "simulate", file);
        Map<String, Object> server = (Map<String, Object>) top.getOrDefault("server", Map.of());
        Map<String, String> answers = new LinkedHashMap<>();
        ((Map<String, Object>) server.getOrDefault("answers", Map.of())).forEach((k, v) -> answers.put(k, String.valueOf(v)));
        List<List<String>> distinct = new ArrayList<>();
        for (Object pair : (List<Object>) top.getOrDefault("distinct", List.of())) distinct.add((List<String>) pair);
        FanOut fanOut = null;
        if (top.get("fan_out") instanceof Map<?, ?> f) {
            Map<String, Object> m = (Map<String, Object>) f;
            List<String> children = new ArrayList<>();
            for (Object c : (List<Object>) require(m, "children", file)) children.add(String.valueOf(c));
            fanOut = new FanOut(((Number) require(m, "parents", file)).intValue(), children, String.valueOf(require(m, "id", file)));
        }
        return new Expectation(((Number) require(simulate, "records", file)).intValue(),
                ((Number) server.getOrDefault("min_records", 1)).intValue(), answers,
                (Map<String, Object>) require(top, "fields", file), distinct, (List<String>) top.get("calls_offered"), fanOut);
    }

    private static Object require(Map<String, Object> m, String key, Path file) {
        Object v = m.get(key);
        if (v == null) throw new AssertionError(file + " needs `" + key + "`");
        return v;
    }

    /** Checks every line against {@code fields} and {@code distinct}; fails naming the line and the field. */
    void check(String workflow, List<JsonNode> lines) {
        for (int i = 0; i < lines.size(); i++) {
            JsonNode line = lines.get(i);
            String where = workflow + " output line " + (i + 1);
            for (Map.Entry<String, Object> f : fields.entrySet()) {
                List<JsonNode> values = resolve(line, f.getKey());
                // A pointer through "*" may name nothing (an empty list); a plain one must name a value.
                if (values.isEmpty() && !f.getKey().contains("/*")) throw new AssertionError(where + ": nothing at " + f.getKey() + " in " + line);
                for (JsonNode v : values) {
                    String problem = problem(v, f.getValue());
                    if (problem != null) throw new AssertionError(where + ": " + f.getKey() + " " + problem + ", found " + v);
                }
            }
            if (callsOffered != null) {
                Set<String> offered = new HashSet<>();
                line.at(callsOffered.get(1)).forEach(t -> offered.add(t.at("/function/name").asText()));
                for (JsonNode name : resolve(line, callsOffered.get(0) + "/*/tool_calls/*/function/name")) {
                    if (!offered.contains(name.asText())) {
                        throw new AssertionError(where + ": a tool call names '" + name.asText() + "', which is not among the tools " + offered);
                    }
                }
            }
            for (List<String> pair : distinct) {
                Set<JsonNode> seen = new HashSet<>();
                for (String pointer : pair) {
                    if (!seen.add(line.at(pointer))) throw new AssertionError(where + ": " + pair + " should differ: " + line);
                }
            }
        }
    }

    /**
     * Checks the run's records in the store against {@code fan_out}: the number of records that fanned
     * out, every other record's id in record order, and that the output lines are those children, in
     * order (a child the workflow dropped is simply not among the lines).
     *
     * @param records the run's records in record order, each as {record id, status}
     */
    void checkFanOut(String workflow, List<String[]> records, List<JsonNode> lines) {
        long parents = records.stream().filter(r -> r[1].equals("exploded")).count();
        List<String> children = records.stream().filter(r -> !r[1].equals("exploded")).map(r -> r[0]).toList();
        if (parents != fanOut.parents()) throw new AssertionError(workflow + ": " + fanOut.parents() + " records should fan out, found " + parents);
        if (!children.equals(fanOut.children())) {
            throw new AssertionError(workflow + ": the fanned-out records should be " + fanOut.children() + ", found " + children);
        }
        int at = 0;
        for (JsonNode line : lines) {
            String id = line.at(fanOut.idPointer()).asText();
            while (at < children.size() && !children.get(at).equals(id)) at++;
            if (at == children.size()) {
                throw new AssertionError(workflow + ": output line " + line.at(fanOut.idPointer()) + " at " + fanOut.idPointer()
                        + " is not one of the fanned-out records " + children + " in their order");
            }
            at++;
        }
    }

    /** The values a pointer names; "*" stands for every element of a list. */
    private static List<JsonNode> resolve(JsonNode node, String pointer) {
        List<JsonNode> out = new ArrayList<>();
        int star = pointer.indexOf("/*");
        if (star < 0) {
            JsonNode v = node.at(pointer);
            if (!v.isMissingNode()) out.add(v);
            return out;
        }
        JsonNode list = node.at(pointer.substring(0, star));
        String rest = pointer.substring(star + 2);
        if (list.isArray()) for (JsonNode element : list) out.addAll(resolve(element, rest));
        return out;
    }

    @SuppressWarnings("unchecked")
    private static String problem(JsonNode v, Object type) {
        if (type instanceof List<?> allowed) {
            return allowed.stream().map(String::valueOf).anyMatch(a -> a.equals(v.asText())) && v.isValueNode() ? null : "should be one of " + allowed;
        }
        String t = String.valueOf(type);
        if (t.startsWith("matches ")) {
            String regex = t.substring("matches ".length());
            return v.isTextual() && Pattern.compile(regex).matcher(v.asText()).matches() ? null : "should match " + regex;
        }
        Matcher range = RANGE.matcher(t);
        if (range.matches()) {
            boolean integer = range.group(1).equals("integer");
            if (integer ? !v.isIntegralNumber() : !v.isNumber()) return "should be " + range.group(1);
            double x = v.asDouble();
            return x >= Double.parseDouble(range.group(2)) && x <= Double.parseDouble(range.group(3)) ? null : "should be in " + t;
        }
        return switch (t) {
            case "text" -> v.isTextual() && !v.asText().isBlank() ? null : "should be a non-blank string";
            case "string" -> v.isTextual() ? null : "should be a string";
            case "integer" -> v.isIntegralNumber() ? null : "should be an integer";
            case "number" -> v.isNumber() ? null : "should be a number";
            case "boolean" -> v.isBoolean() ? null : "should be true or false";
            case "list" -> v.isArray() && !v.isEmpty() ? null : "should be a non-empty list";
            case "object" -> v.isObject() ? null : "should be an object";
            case "chat" -> chat(v, false);
            case "tool-chat" -> chat(v, true);
            case "tools" -> tools(v);
            default -> throw new AssertionError("unknown type '" + t + "' in expect.yaml");
        };
    }

    private static String chat(JsonNode v, boolean toolUse) {
        if (!v.isArray() || v.isEmpty()) return "should be a non-empty list of messages";
        Set<String> calls = new HashSet<>();
        int toolCalls = 0;
        for (JsonNode m : v) {
            if (!m.path("role").isTextual() || m.path("role").asText().isBlank()) return "has a message without a role: " + m;
            JsonNode tc = m.path("tool_calls");
            if (tc.isArray() && !tc.isEmpty()) {
                if (!m.path("role").asText().equals("assistant")) return "has tool calls outside an assistant message: " + m;
                for (JsonNode c : tc) {
                    if (!c.path("id").isTextual() || !"function".equals(c.path("type").asText()) || !c.at("/function/name").isTextual()
                            || !c.at("/function/arguments").isTextual()) return "has a malformed tool call: " + c;
                    calls.add(c.get("id").asText());
                    toolCalls++;
                }
                continue;
            }
            if (m.path("role").asText().equals("tool") && !calls.contains(m.path("tool_call_id").asText())) {
                return "has a tool result that answers no earlier call: " + m;
            }
            if (!m.path("content").isTextual() || m.path("content").asText().isBlank()) return "has a message without text: " + m;
        }
        if (!toolUse) return null;
        if (!v.get(0).path("role").asText().equals("system")) return "should open with the system message";
        if (toolCalls == 0) return "should hold at least one tool call";
        JsonNode last = v.get(v.size() - 1);
        return last.path("role").asText().equals("assistant") && last.path("tool_calls").isMissingNode() ? null
                : "should end with the assistant's answer in text";
    }

    private static String tools(JsonNode v) {
        if (!v.isArray() || v.isEmpty()) return "should be a non-empty list of tools";
        for (JsonNode t : v) {
            if (!"function".equals(t.path("type").asText()) || !t.at("/function/name").isTextual()
                    || !t.at("/function/parameters").isObject()) return "has a malformed tool: " + t;
        }
        return null;
    }
}
