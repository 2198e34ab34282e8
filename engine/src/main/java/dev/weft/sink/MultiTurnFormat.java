package dev.weft.sink;

import dev.weft.spi.Format;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code format: multi-turn}: a conversation for supervised fine-tuning, {@code {"messages": [...]}}
 * of {@code {role, content}} — an optional system message, then user and assistant turns that
 * alternate, starting with the user and ending with the assistant, as chat fine-tuning tools read
 * them (TRL, Axolotl, OpenAI). Checked: the roles, their order and that every content is text that
 * is not blank; a message's optional {@code name} and an assistant message's {@code weight} (0 or
 * 1) are kept. A {@code conversation} node's output maps onto it when its roles are named
 * {@code user} and {@code assistant}. Stateless; thread-safe.
 */
public final class MultiTurnFormat implements Format {
    private static final Set<String> USED = Set.of("messages", "system");

    @Override
    public String name() {
        return "multi-turn";
    }

    @Override
    public String description() {
        return "Chat `messages`: optional system, then alternating user / assistant turns ending with the assistant; checked.";
    }

    @Override
    public List<String> requiredKeys() {
        return List.of("messages");
    }

    @Override
    public Map<String, Object> apply(Map<String, Object> m) {
        List<?> given = FormatValues.list("`messages`", m.get("messages"));
        List<Map<String, Object>> messages = new ArrayList<>();
        Object system = m.get("system");
        if (system != null) messages.add(BuiltInFormats.message("system", FormatValues.nonBlank("`system`", system)));
        String expected = "user";
        for (int i = 0; i < given.size(); i++) {
            String at = "`messages[" + i + "]`";
            Map<?, ?> msg = FormatValues.object(at, given.get(i));
            String role = FormatValues.text(at + ".role", msg.get("role"));
            String content = FormatValues.nonBlank(at + ".content (" + role + ")", msg.get("content"));
            if (role.equals("system")) {
                if (i > 0) throw new FormatException(at + " is a system message; only the first message may be one");
                if (system != null) throw new FormatException("`system` is given and `messages[0]` is a system message too; keep one");
                messages.add(BuiltInFormats.message("system", content));
                continue;
            }
            if (!role.equals("user") && !role.equals("assistant")) {
                throw new FormatException(at + " has role '" + role + "'; multi-turn takes the roles user and assistant (and system first)"
                        + " — name a conversation node's roles `user` and `assistant`");
            }
            if (!role.equals(expected)) {
                throw new FormatException(at + " is from the " + role + ", but the " + expected + " speaks next: user and assistant turns must"
                        + " alternate, starting with the user");
            }
            Map<String, Object> out = BuiltInFormats.message(role, content);
            FormatValues.optionalMessageKeys(at, msg, role, out);
            messages.add(out);
            expected = role.equals("user") ? "assistant" : "user";
        }
        if (messages.stream().noneMatch(x -> x.get("role").equals("assistant"))) {
            throw new FormatException("`messages` holds no assistant turn; a multi-turn sample needs at least one user and one assistant message");
        }
        if (!expected.equals("user")) {
            throw new FormatException("the last message is the user's; a multi-turn sample ends with the assistant's answer"
                    + " (give a conversation node an even number of `turns`)");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("messages", messages);
        FormatValues.extras(m, out, USED);
        return out;
    }
}
