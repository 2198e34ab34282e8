package dev.weft.sink;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.spi.Format;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code format: tool-call}: OpenAI's tool-use fine-tuning format, {@code {"messages": [...],
 * "tools": [...]}}. Messages are system (first only), user, assistant (text, or
 * {@code tool_calls} of {@code {id, type: function, function: {name, arguments}}}) and
 * {@code tool} results that answer a call by its {@code tool_call_id}; {@code tools} are
 * {@code {type: function, function: {name, description, parameters}}}. An {@code agent} node's
 * {@code messages} and {@code tools} map onto it as they are.
 *
 * <p>Checked, so that a fine-tuning job does not reject the file: every call names an offered tool
 * and has arguments that are a JSON object (an object given instead of its text is written as JSON
 * text), call ids are unique, every call is answered by a tool message before the conversation goes
 * on and no tool message answers nothing, and the sample ends with the assistant's answer in text.
 * A message's optional {@code name} and an assistant message's {@code weight} (0 or 1) are kept.
 * Stateless; thread-safe.
 */
public final class ToolCallFormat implements Format {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> USED = Set.of("messages", "tools");

    @Override
    public String name() {
        return "tool-call";
    }

    @Override
    public String description() {
        return "OpenAI tool-use format: `messages` with assistant `tool_calls` and `tool` results, and the `tools` offered; checked.";
    }

    @Override
    public List<String> requiredKeys() {
        return List.of("messages", "tools");
    }

    @Override
    public Map<String, Object> apply(Map<String, Object> m) {
        List<Map<String, Object>> tools = new ArrayList<>();
        Set<String> toolNames = new LinkedHashSet<>();
        List<?> givenTools = FormatValues.list("`tools`", m.get("tools"));
        for (int i = 0; i < givenTools.size(); i++) {
            Map<String, Object> tool = tool("`tools[" + i + "]`", givenTools.get(i));
            String name = (String) ((Map<?, ?>) tool.get("function")).get("name");
            if (!toolNames.add(name)) throw new FormatException("`tools[" + i + "]` offers '" + name + "' a second time; tool names must be unique");
            tools.add(tool);
        }
        List<?> given = FormatValues.list("`messages`", m.get("messages"));
        List<Map<String, Object>> messages = new ArrayList<>();
        Set<String> callIds = new HashSet<>();
        Set<String> pending = new LinkedHashSet<>();
        boolean user = false;
        for (int i = 0; i < given.size(); i++) {
            String at = "`messages[" + i + "]`";
            Map<?, ?> msg = FormatValues.object(at, given.get(i));
            String role = FormatValues.text(at + ".role", msg.get("role"));
            if (!role.equals("tool") && !pending.isEmpty()) {
                throw new FormatException(at + " (" + role + ") comes before the tool call" + (pending.size() == 1 ? " " : "s ") + quoted(pending)
                        + " got " + (pending.size() == 1 ? "its result" : "their results") + "; every call is answered by a `tool` message first");
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("role", role);
            switch (role) {
                case "system" -> {
                    if (i > 0) throw new FormatException(at + " is a system message; only the first message may be one");
                    out.put("content", FormatValues.nonBlank(at + ".content (system)", msg.get("content")));
                }
                case "user" -> {
                    user = true;
                    out.put("content", FormatValues.nonBlank(at + ".content (user)", msg.get("content")));
                }
                case "assistant" -> {
                    if (!user) throw new FormatException(at + " is the assistant's, but no user message comes before it");
                    Object content = msg.get("content");
                    List<?> calls = msg.get("tool_calls") == null ? List.of() : FormatValues.list(at + ".tool_calls", msg.get("tool_calls"));
                    if (calls.isEmpty()) {
                        out.put("content", FormatValues.nonBlank(at + ".content (assistant)", content));
                    } else {
                        out.put("content", content == null ? null : FormatValues.text(at + ".content (assistant)", content));
                        List<Map<String, Object>> outCalls = new ArrayList<>();
                        for (int c = 0; c < calls.size(); c++) {
                            Map<String, Object> call = call(at + ".tool_calls[" + c + "]", calls.get(c), toolNames);
                            String id = (String) call.get("id");
                            if (!callIds.add(id)) throw new FormatException(at + ".tool_calls[" + c + "] reuses the call id '" + id + "'; call ids must be unique");
                            pending.add(id);
                            outCalls.add(call);
                        }
                        out.put("tool_calls", outCalls);
                    }
                }
                case "tool" -> {
                    String id = FormatValues.nonBlank(at + ".tool_call_id", msg.get("tool_call_id"));
                    if (!pending.remove(id)) {
                        throw new FormatException(at + " answers the tool call '" + id + "', which " + (callIds.contains(id) ? "is answered already"
                                : "no assistant message before it made"));
                    }
                    out.put("tool_call_id", id);
                    out.put("content", FormatValues.text(at + ".content (tool)", msg.get("content")));
                }
                default -> throw new FormatException(at + " has role '" + role + "'; tool-call takes system, user, assistant and tool");
            }
            FormatValues.optionalMessageKeys(at, msg, role, out);
            messages.add(out);
        }
        if (!pending.isEmpty()) {
            throw new FormatException("the tool call" + (pending.size() == 1 ? " " : "s ") + quoted(pending) + (pending.size() == 1 ? " has" : " have")
                    + " no result; every call is answered by a `tool` message");
        }
        if (messages.isEmpty() || !messages.get(messages.size() - 1).get("role").equals("assistant")
                || messages.get(messages.size() - 1).containsKey("tool_calls")) {
            throw new FormatException("the last message is not the assistant's answer in text; a tool-call sample ends with it"
                    + " (an agent that ran out of `max_steps` has none)");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("messages", messages);
        out.put("tools", tools);
        FormatValues.extras(m, out, USED);
        return out;
    }

    private static Map<String, Object> tool(String at, Object v) {
        Map<?, ?> t = FormatValues.object(at, v);
        if (!"function".equals(t.get("type"))) throw new FormatException(at + ".type must be 'function', found " + FormatValues.kind(t.get("type")));
        Map<?, ?> fn = FormatValues.object(at + ".function", t.get("function"));
        Map<String, Object> outFn = new LinkedHashMap<>();
        outFn.put("name", FormatValues.nonBlank(at + ".function.name", fn.get("name")));
        if (fn.get("description") != null) outFn.put("description", FormatValues.text(at + ".function.description", fn.get("description")));
        if (fn.get("parameters") != null) outFn.put("parameters", FormatValues.object(at + ".function.parameters", fn.get("parameters")));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("type", "function");
        out.put("function", outFn);
        return out;
    }

    private static Map<String, Object> call(String at, Object v, Set<String> toolNames) {
        Map<?, ?> c = FormatValues.object(at, v);
        String id = FormatValues.nonBlank(at + ".id", c.get("id"));
        if (c.get("type") != null && !"function".equals(c.get("type"))) {
            throw new FormatException(at + ".type must be 'function', found " + FormatValues.kind(c.get("type")));
        }
        Map<?, ?> fn = FormatValues.object(at + ".function", c.get("function"));
        String name = FormatValues.nonBlank(at + ".function.name", fn.get("name"));
        if (!toolNames.contains(name)) {
            throw new FormatException(at + " calls '" + name + "', which `tools` does not offer" + (toolNames.isEmpty() ? " (it is empty)"
                    : " (it offers " + quoted(toolNames) + ")"));
        }
        Object args = fn.get("arguments");
        String arguments;
        if (args instanceof Map<?, ?> object) {
            try {
                arguments = JSON.writeValueAsString(object);
            } catch (JsonProcessingException e) {
                throw new FormatException(at + ".function.arguments cannot be written as JSON: " + e.getOriginalMessage());
            }
        } else {
            arguments = FormatValues.text(at + ".function.arguments", args);
            JsonNode parsed;
            try {
                parsed = JSON.readTree(arguments);
            } catch (JsonProcessingException e) {
                throw new FormatException(at + ".function.arguments is not valid JSON: " + e.getOriginalMessage());
            }
            if (parsed == null || !parsed.isObject()) throw new FormatException(at + ".function.arguments must be a JSON object, found " + arguments);
        }
        Map<String, Object> outFn = new LinkedHashMap<>();
        outFn.put("name", name);
        outFn.put("arguments", arguments);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", id);
        out.put("type", "function");
        out.put("function", outFn);
        return out;
    }

    private static String quoted(Set<String> names) {
        return "'" + String.join("', '", names) + "'";
    }
}
