package dev.weft.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.spi.Format;
import dev.weft.template.Expression;
import dev.weft.template.TemplateEngine;
import dev.weft.workflow.Location;
import dev.weft.workflow.Problems;
import dev.weft.workflow.NodeKinds;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The chat formats one record at a time: what a valid record becomes, and the message a record
 * that does not fit gets (the whole-run behaviour is in {@code OutputFormatsRunTest}).
 */
class FormatsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Format format(String name) {
        return OutputFormat.find(name, NodeKinds.builtIn());
    }

    private static Map<String, Object> json(String text) throws Exception {
        return JSON.readValue(text, new TypeReference<LinkedHashMap<String, Object>>() {});
    }

    private static String fails(String format, String record) throws Exception {
        Map<String, Object> m = json(record);
        // As the engine calls it, with a sink map naming each key (`messages: messages`); the format's name leads the message.
        TemplateEngine templates = new TemplateEngine();
        Map<String, Expression> map = new LinkedHashMap<>();
        for (String k : m.keySet()) map.put(k, templates.expression(k, new Location("wf.yaml", 1, 1), new Problems()));
        OutputFormat of = new OutputFormat(format(format), map, templates);
        FormatException e = assertThrows(FormatException.class, () -> of.apply(m, "r1"));
        assertTrue(e.getMessage().startsWith("sink format " + format + ": "), e.getMessage());
        return e.getMessage().substring(("sink format " + format + ": ").length());
    }

    @Test
    void everyBuiltInFormatIsFoundByName() {
        assertEquals(List.of("raw", "sft", "dpo", "multi-turn", "tool-call", "oasst"), List.copyOf(NodeKinds.builtIn().formats().keySet()).subList(0, 6));
        assertEquals(OutputFormat.NAMES, List.copyOf(NodeKinds.builtIn().formats().keySet()).subList(0, 6));
    }

    // ---- multi-turn

    @Test
    void multiTurnKeepsAnAlternatingConversationAndItsExtras() throws Exception {
        Map<String, Object> out = format("multi-turn").apply(json("""
                {"messages": [{"role": "user", "content": "Hi, I need a hotel."}, {"role": "assistant", "content": "Which city?"},
                              {"role": "user", "content": "Lisbon."}, {"role": "assistant", "content": "Here are three."}],
                 "system": "You are a travel agent.", "persona": "a student"}"""));
        assertEquals("""
                {"messages":[{"role":"system","content":"You are a travel agent."},{"role":"user","content":"Hi, I need a hotel."},\
                {"role":"assistant","content":"Which city?"},{"role":"user","content":"Lisbon."},{"role":"assistant","content":"Here are three."}],\
                "persona":"a student"}""", JSON.writeValueAsString(out));
    }

    @Test
    void multiTurnKeepsANameAndAnAssistantTurnsTrainingWeight() throws Exception {
        Map<String, Object> out = format("multi-turn").apply(json("""
                {"messages": [{"role": "user", "content": "Hi", "name": "ana"}, {"role": "assistant", "content": "Hello!", "weight": 0},
                              {"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Goodbye.", "weight": 1, "mood": "x"}]}"""));
        assertEquals("""
                {"messages":[{"role":"user","content":"Hi","name":"ana"},{"role":"assistant","content":"Hello!","weight":0},\
                {"role":"user","content":"Bye"},{"role":"assistant","content":"Goodbye.","weight":1}]}""", JSON.writeValueAsString(out));
        assertEquals("`messages[1]`.weight must be 0 or 1, found a number 0.5", fails("multi-turn", """
                {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b", "weight": 0.5}]}"""));
        assertEquals("`messages[0]` has a weight; only assistant messages take one", fails("multi-turn", """
                {"messages": [{"role": "user", "content": "a", "weight": 1}, {"role": "assistant", "content": "b"}]}"""));
    }

    @Test
    void multiTurnSaysWhatIsWrongWithAConversation() throws Exception {
        assertEquals("`messages[1]` is from the user, but the assistant speaks next: user and assistant turns must alternate, starting with the user",
                fails("multi-turn", """
                        {"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}"""));
        assertEquals("the last message is the user's; a multi-turn sample ends with the assistant's answer (give a conversation node an even number of `turns`)",
                fails("multi-turn", """
                        {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]}"""));
        assertEquals("`messages[0]` has role 'customer'; multi-turn takes the roles user and assistant (and system first) — name a conversation"
                + " node's roles `user` and `assistant`", fails("multi-turn", """
                        {"messages": [{"role": "customer", "content": "a"}, {"role": "agent", "content": "b"}]}"""));
        assertEquals("`messages[1]`.content (assistant) is empty", fails("multi-turn", """
                {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "  "}]}"""));
        assertEquals("`messages` must be a list, found the text 'hello'", fails("multi-turn", """
                {"messages": "hello"}"""));
        assertEquals("`messages[2]` is a system message; only the first message may be one", fails("multi-turn", """
                {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "system", "content": "c"}]}"""));
        assertEquals("`messages` holds no assistant turn; a multi-turn sample needs at least one user and one assistant message",
                fails("multi-turn", """
                        {"messages": []}"""));
    }

    // ---- tool-call

    private static final String TOOLS = """
            [{"type": "function", "function": {"name": "calculator", "description": "Arithmetic.", "parameters": {"type": "object"}}}]""";

    @Test
    void toolCallKeepsATrajectoryAndWritesObjectArgumentsAsJsonText() throws Exception {
        Map<String, Object> out = format("tool-call").apply(json("""
                {"messages": [{"role": "system", "content": "Use tools."}, {"role": "user", "content": "What is 6 times 7?"},
                  {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
                     "function": {"name": "calculator", "arguments": {"a": 6, "op": "multiply", "b": 7}}}]},
                  {"role": "tool", "tool_call_id": "c1", "content": "42"},
                  {"role": "assistant", "content": "It is 42."}],
                 "tools": %s, "difficulty": "easy"}""".formatted(TOOLS)));
        assertEquals("""
                {"messages":[{"role":"system","content":"Use tools."},{"role":"user","content":"What is 6 times 7?"},\
                {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"calculator",\
                "arguments":"{\\"a\\":6,\\"op\\":\\"multiply\\",\\"b\\":7}"}}]},{"role":"tool","tool_call_id":"c1","content":"42"},\
                {"role":"assistant","content":"It is 42."}],"tools":[{"type":"function","function":{"name":"calculator",\
                "description":"Arithmetic.","parameters":{"type":"object"}}}],"difficulty":"easy"}""", JSON.writeValueAsString(out));
    }

    private static String trajectory(String calls, String after) {
        return """
                {"messages": [{"role": "user", "content": "Task"},
                  {"role": "assistant", "content": null, "tool_calls": %s}%s],
                 "tools": %s}""".formatted(calls, after, TOOLS);
    }

    @Test
    void toolCallSaysWhatIsWrongWithATrajectory() throws Exception {
        String call = """
                [{"id": "c1", "type": "function", "function": {"name": "calculator", "arguments": "{\\"a\\": 1}"}}]""";
        assertEquals("the tool call 'c1' has no result; every call is answered by a `tool` message", fails("tool-call", trajectory(call, "")));
        assertEquals("`messages[2]` (assistant) comes before the tool call 'c1' got its result; every call is answered by a `tool` message first",
                fails("tool-call", trajectory(call, """
                        , {"role": "assistant", "content": "done"}""")));
        assertEquals("`messages[2]` answers the tool call 'c9', which no assistant message before it made", fails("tool-call", trajectory(call, """
                , {"role": "tool", "tool_call_id": "c9", "content": "1"}""")));
        assertEquals("the last message is not the assistant's answer in text; a tool-call sample ends with it (an agent that ran out of"
                + " `max_steps` has none)", fails("tool-call", trajectory(call, """
                , {"role": "tool", "tool_call_id": "c1", "content": "1"}""")));
        assertEquals("`messages[1]`.tool_calls[0] calls 'search', which `tools` does not offer (it offers 'calculator')", fails("tool-call", trajectory("""
                [{"id": "c1", "type": "function", "function": {"name": "search", "arguments": "{}"}}]""", "")));
        assertTrue(fails("tool-call", trajectory("""
                [{"id": "c1", "type": "function", "function": {"name": "calculator", "arguments": "{not json"}}]""", ""))
                .startsWith("`messages[1]`.tool_calls[0].function.arguments is not valid JSON: "));
        assertEquals("`messages[1]`.tool_calls[0].function.arguments must be a JSON object, found [1,2]", fails("tool-call", trajectory("""
                [{"id": "c1", "type": "function", "function": {"name": "calculator", "arguments": "[1,2]"}}]""", "")));
        assertEquals("`messages[1]`.tool_calls[1] reuses the call id 'c1'; call ids must be unique", fails("tool-call", trajectory("""
                [{"id": "c1", "function": {"name": "calculator", "arguments": "{}"}}, {"id": "c1", "function": {"name": "calculator", "arguments": "{}"}}]""", "")));
        assertEquals("`messages[0]` has role 'function'; tool-call takes system, user, assistant and tool", fails("tool-call", """
                {"messages": [{"role": "function", "content": "x"}], "tools": []}"""));
        assertEquals("`tools[0]`.type must be 'function', found the text 'code_interpreter'", fails("tool-call", """
                {"messages": [], "tools": [{"type": "code_interpreter"}]}"""));
        assertEquals("`tools` must be a list, found null", fails("tool-call", """
                {"messages": [], "tools": null}"""));
    }

    // ---- oasst

    @Test
    void oasstBuildsAChainFromAConversationWithIdsFromTheRecord() throws Exception {
        Map<String, Object> record = json("""
                {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Why is the sky blue?"},
                              {"role": "assistant", "content": "Because air scatters blue light more than red light."},
                              {"role": "user", "content": "And why are sunsets red?"},
                              {"role": "assistant", "content": "At sunset the light crosses more air, so the blue is scattered away."}],
                 "topic": "physics"}""");
        Map<String, Object> tree = format("oasst").apply(record, "q-17");
        Map<?, ?> prompt = (Map<?, ?>) tree.get("prompt");
        assertEquals(List.of("message_tree_id", "tree_state", "prompt", "system", "topic"), List.copyOf(tree.keySet()));
        assertEquals(prompt.get("message_id"), tree.get("message_tree_id"));
        assertEquals("ready_for_export", tree.get("tree_state"));
        assertEquals("Be brief.", tree.get("system"));
        assertEquals(List.of("message_id", "parent_id", "text", "role", "lang", "replies"), List.copyOf(((Map<String, ?>) prompt).keySet()));
        assertNull(prompt.get("parent_id"));
        Map<?, ?> node = prompt;
        List<String> roles = new java.util.ArrayList<>();
        while (node != null) {
            roles.add((String) node.get("role"));
            assertEquals("en", node.get("lang"));
            UUID.fromString((String) node.get("message_id")); // a UUID
            List<?> replies = (List<?>) node.get("replies");
            assertTrue(replies.size() <= 1);
            Map<?, ?> next = replies.isEmpty() ? null : (Map<?, ?>) replies.get(0);
            if (next != null) assertEquals(node.get("message_id"), next.get("parent_id"));
            node = next;
        }
        assertEquals(List.of("prompter", "assistant", "prompter", "assistant"), roles);
        // The same record gets the same ids; another record id, other ids.
        assertEquals(JSON.writeValueAsString(tree), JSON.writeValueAsString(format("oasst").apply(record, "q-17")));
        assertNotEquals(tree.get("message_tree_id"), format("oasst").apply(record, "q-18").get("message_tree_id"));
    }

    @Test
    void oasstPutsAPreferencePairOrAModelsAnswersSideBySide() throws Exception {
        Map<String, Object> pair = format("oasst").apply(json("""
                {"prompt": "Explain tides to a child.", "chosen": "The moon pulls the sea a little, so it rises and falls.",
                 "rejected": "Tides are gravitational.", "lang": "en"}"""), "7");
        List<?> replies = (List<?>) ((Map<?, ?>) pair.get("prompt")).get("replies");
        assertEquals(2, replies.size());
        assertEquals(0, ((Map<?, ?>) replies.get(0)).get("rank"));
        assertEquals("The moon pulls the sea a little, so it rises and falls.", ((Map<?, ?>) replies.get(0)).get("text"));
        assertEquals(1, ((Map<?, ?>) replies.get(1)).get("rank"));
        assertNotEquals(((Map<?, ?>) replies.get(0)).get("message_id"), ((Map<?, ?>) replies.get(1)).get("message_id"));

        Map<String, Object> models = format("oasst").apply(json("""
                {"prompt": "Wie spät ist es in Tokio, wenn es in Berlin Mittag ist?", "answers": {"weak": "Es ist acht Uhr abends.",
                 "strong": "Dann ist es in Tokio acht Uhr abends, im Sommer sieben."}}"""), "8");
        Map<?, ?> root = (Map<?, ?>) models.get("prompt");
        assertEquals("de", root.get("lang"), "detected: no `lang` given");
        List<?> answers = (List<?>) root.get("replies");
        assertEquals(List.of("weak", "strong"), answers.stream().map(a -> ((Map<?, ?>) a).get("model_name")).toList());
        assertEquals(List.of("de", "de"), answers.stream().map(a -> ((Map<?, ?>) a).get("lang")).toList());
    }

    @Test
    void oasstChecksTheMapAndTheValues() throws Exception {
        Format oasst = format("oasst");
        assertEquals(List.of("oasst needs the prompt's replies: `response`, `answers`, or `chosen` and `rejected`"), oasst.mapProblems(Set.of("prompt")));
        assertEquals(List.of("oasst builds its tree from `messages` or from `prompt` and its replies, not both"),
                oasst.mapProblems(Set.of("prompt", "messages")));
        assertEquals(List.of("oasst needs `chosen` and `rejected` together"), oasst.mapProblems(Set.of("prompt", "chosen")));
        assertEquals(List.of("oasst needs `messages` (a chat) or `prompt` with `response`, `answers` or `chosen` and `rejected`"),
                oasst.mapProblems(Set.of("question", "answer")));
        assertEquals(List.of(), oasst.mapProblems(Set.of("prompt", "answers", "lang", "extra")));
        assertTrue(fails("oasst", """
                {"prompt": "Q?", "chosen": null, "rejected": null}""").startsWith("`chosen` is missing (null); a pairwise judge's tie"));
        assertEquals("`messages[1]` has role 'tool'; oasst takes user (prompter) and assistant turns", fails("oasst", """
                {"messages": [{"role": "user", "content": "a"}, {"role": "tool", "content": "b"}]}"""));
        assertEquals("`answers` is empty; the prompt needs at least one reply", fails("oasst", """
                {"prompt": "Q?", "answers": {}}"""));
    }

    // ---- sft and dpo no longer write a missing value as ""

    @Test
    void dpoRefusesATieInsteadOfWritingAnEmptyAnswer() throws Exception {
        assertTrue(fails("dpo", """
                {"prompt": "Q?", "chosen": null, "rejected": null}""").startsWith("`chosen` is missing (null); a pairwise judge's tie has neither"));
        assertEquals("`response` must be text, found a list", fails("sft", """
                {"instruction": "Q?", "response": ["a", "b"]}"""));
    }
}
