package dev.weft.sink;

import dev.weft.spi.Format;
import dev.weft.template.Languages;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * {@code format: oasst}: one OpenAssistant message tree per line, as in the oasst1 / oasst2
 * {@code *.trees.jsonl} exports: {@code {message_tree_id, tree_state, prompt}}, where each message
 * is {@code {message_id, parent_id, text, role, lang, ..., replies}} with the roles
 * {@code prompter} and {@code assistant}. The tree comes from
 * <ul>
 *   <li>{@code messages}: a chat list (user / assistant turns, alternating from the user), one
 *       reply after another; a leading system message goes to the tree's {@code system} field,
 *       since oasst has no such role; or</li>
 *   <li>{@code prompt} with its replies as siblings: {@code response} (one), {@code chosen} and
 *       {@code rejected} (ranked 0 and 1, as oasst ranks preferences), or {@code answers} — a
 *       mapping of model profile to answer (each reply's {@code model_name}) or a list.</li>
 * </ul>
 * {@code lang} (optional) is every message's language tag; without it each message's language is
 * detected ({@link Languages}). Message ids are UUIDs derived from the record id, the message's
 * place in the tree, its role and its text: the same record gets the same ids in every run, and
 * trees from datasets whose record ids overlap do not share ids. Stateless; thread-safe.
 */
public final class OasstFormat implements Format {
    private static final Set<String> USED = Set.of("messages", "prompt", "response", "chosen", "rejected", "answers", "lang");
    private static final List<String> REPLIES = List.of("response", "answers", "chosen");

    @Override
    public String name() {
        return "oasst";
    }

    @Override
    public String description() {
        return "OpenAssistant message trees: from chat `messages`, or a `prompt` with `response`, `answers` or `chosen`/`rejected` as replies.";
    }

    @Override
    public List<String> mapProblems(Set<String> keys) {
        List<String> problems = new ArrayList<>();
        boolean messages = keys.contains("messages");
        boolean prompt = keys.contains("prompt");
        long replies = REPLIES.stream().filter(keys::contains).count();
        if (messages && prompt) {
            problems.add("oasst builds its tree from `messages` or from `prompt` and its replies, not both");
        } else if (!messages && !prompt) {
            problems.add("oasst needs `messages` (a chat) or `prompt` with `response`, `answers` or `chosen` and `rejected`");
        } else if (prompt && replies == 0) {
            problems.add("oasst needs the prompt's replies: `response`, `answers`, or `chosen` and `rejected`");
        } else if (prompt && replies > 1) {
            problems.add("oasst takes one kind of replies: `response`, `answers`, or `chosen` and `rejected`");
        }
        if (keys.contains("chosen") != keys.contains("rejected")) {
            problems.add("oasst needs `chosen` and `rejected` together");
        }
        if (messages && REPLIES.stream().anyMatch(keys::contains)) {
            problems.add("`response`, `answers`, `chosen` and `rejected` go with `prompt`; `messages` already holds the replies");
        }
        return problems;
    }

    @Override
    public Map<String, Object> apply(Map<String, Object> m) {
        return apply(m, "");
    }

    @Override
    public Map<String, Object> apply(Map<String, Object> m, String recordId) {
        List<String> problems = mapProblems(m.keySet());
        if (!problems.isEmpty()) throw new FormatException(String.join("; ", problems));
        String lang = m.get("lang") == null ? null : FormatValues.nonBlank("`lang`", m.get("lang"));
        Ids ids = new Ids(recordId == null ? "" : recordId, lang);
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, Object> root;
        String system = null;
        if (m.containsKey("messages")) {
            List<?> given = FormatValues.list("`messages`", m.get("messages"));
            int start = 0;
            if (!given.isEmpty() && given.get(0) instanceof Map<?, ?> first && "system".equals(first.get("role"))) {
                system = FormatValues.nonBlank("`messages[0]`.content (system)", first.get("content"));
                start = 1;
            }
            if (given.size() <= start) throw new FormatException("`messages` holds no user message to start the tree with");
            root = null;
            Map<String, Object> parent = null;
            String expected = "user";
            for (int i = start; i < given.size(); i++) {
                String at = "`messages[" + i + "]`";
                Map<?, ?> msg = FormatValues.object(at, given.get(i));
                String role = FormatValues.text(at + ".role", msg.get("role"));
                if (role.equals("prompter")) role = "user";
                if (!role.equals("user") && !role.equals("assistant")) {
                    throw new FormatException(at + " has role '" + role + "'; oasst takes user (prompter) and assistant turns"
                            + (role.equals("system") ? ", and a system message only first" : ""));
                }
                if (!role.equals(expected)) {
                    throw new FormatException(at + " is from the " + role + ", but the " + expected + " speaks next: turns must alternate, starting with the user");
                }
                String text = FormatValues.nonBlank(at + ".content (" + role + ")", msg.get("content"));
                Map<String, Object> node = ids.message(parent, role.equals("user") ? "prompter" : "assistant", text, null, null);
                if (parent == null) root = node;
                else replies(parent).add(node);
                parent = node;
                expected = role.equals("user") ? "assistant" : "user";
            }
        } else {
            String prompt = FormatValues.nonBlank("`prompt`", m.get("prompt"));
            root = ids.message(null, "prompter", prompt, null, null);
            if (m.containsKey("response")) {
                replies(root).add(ids.message(root, "assistant", FormatValues.nonBlank("`response`", m.get("response")), null, null));
            } else if (m.containsKey("chosen")) {
                for (String k : List.of("chosen", "rejected")) {
                    if (m.get(k) == null) {
                        throw new FormatException("`" + k + "` is missing (null); a pairwise judge's tie has neither a chosen nor a rejected"
                                + " answer: drop ties before the sink, e.g. `{kind: filter, drop: \"prefer.winner == 'tie'\"}`");
                    }
                }
                replies(root).add(ids.message(root, "assistant", FormatValues.nonBlank("`chosen`", m.get("chosen")), 0, null));
                replies(root).add(ids.message(root, "assistant", FormatValues.nonBlank("`rejected`", m.get("rejected")), 1, null));
            } else {
                Object answers = m.get("answers");
                if (answers instanceof Map<?, ?> byModel) {
                    if (byModel.isEmpty()) throw new FormatException("`answers` is empty; the prompt needs at least one reply");
                    for (Map.Entry<?, ?> e : byModel.entrySet()) {
                        String model = String.valueOf(e.getKey());
                        replies(root).add(ids.message(root, "assistant", FormatValues.nonBlank("`answers." + model + "`", e.getValue()), null, model));
                    }
                } else {
                    List<?> list = FormatValues.list("`answers` (a mapping of model to answer, or a list)", answers);
                    if (list.isEmpty()) throw new FormatException("`answers` is empty; the prompt needs at least one reply");
                    for (int i = 0; i < list.size(); i++) {
                        replies(root).add(ids.message(root, "assistant", FormatValues.nonBlank("`answers[" + i + "]`", list.get(i)), null, null));
                    }
                }
            }
        }
        out.put("message_tree_id", root.get("message_id"));
        out.put("tree_state", "ready_for_export");
        out.put("prompt", root);
        if (system != null) out.put("system", system);
        FormatValues.extras(m, out, USED);
        return out;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> replies(Map<String, Object> node) {
        return (List<Map<String, Object>>) node.get("replies");
    }

    /** Builds one tree's messages, with ids derived from the record id, the place in the tree, the role and the text. One per record. */
    private static final class Ids {
        private final String recordId;
        private final String lang;
        private final Map<Map<String, Object>, String> places = new java.util.IdentityHashMap<>();

        Ids(String recordId, String lang) {
            this.recordId = recordId;
            this.lang = lang;
        }

        Map<String, Object> message(Map<String, Object> parent, String role, String text, Integer rank, String model) {
            String place = parent == null ? "0" : places.get(parent) + "." + replies(parent).size();
            String name = "weft/oasst\0" + recordId + "\0" + place + "\0" + role + "\0" + text;
            Map<String, Object> msg = new LinkedHashMap<>();
            msg.put("message_id", UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString());
            msg.put("parent_id", parent == null ? null : parent.get("message_id"));
            msg.put("text", text);
            msg.put("role", role);
            msg.put("lang", lang != null ? lang : Languages.detect(text));
            if (rank != null) msg.put("rank", rank);
            if (model != null) msg.put("model_name", model);
            msg.put("replies", new ArrayList<Map<String, Object>>());
            places.put(msg, place);
            return msg;
        }
    }
}
