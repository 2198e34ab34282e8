package dev.weft.node;

import dev.weft.model.ChatMessage;
import dev.weft.model.ModelProfile;
import dev.weft.model.ModelRequest;
import dev.weft.model.ModelResponse;
import dev.weft.spi.Node;
import dev.weft.spi.NodeConfig;
import dev.weft.spi.AbstractNodeKind;
import dev.weft.spi.StepContext;
import dev.weft.spi.StepFailedException;
import dev.weft.spi.StepOutcome;
import dev.weft.template.Expression;
import dev.weft.template.FieldRead;
import dev.weft.template.Template;
import dev.weft.template.TemplateEngine;
import dev.weft.yaml.Shape;
import dev.weft.yaml.YamlValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code kind: conversation}: two or more roles, each with its own model and system prompt, take
 * turns for {@code turns} messages or until {@code until} holds. Each role sees the conversation
 * from its side (its own messages as the assistant's, everyone else's as the user's). The output
 * is a chat {@code messages} list of {@code {role, content}} in speaking order, ready for
 * multi-turn SFT when the roles are named {@code user} and {@code assistant}.
 */
public final class ConversationKind extends AbstractNodeKind {
    private static final Shape.Obj ROLE = Shape.Obj.builder("One speaker.")
            .required("model", Shape.string("A model profile's name."))
            .optional("system", Shape.string("Who this role is and how it talks, as a template over the record."))
            .optional("system_file", Shape.string("Instead of `system`: a template file, relative to the workflow."))
            .optional("opener", Shape.string("The first speaker's first message, as a template, instead of asking its model."))
            .build();
    private static final Shape.Obj SHAPE = Shape.Obj.builder(null)
            .required("roles", Shape.mapOf(ROLE, "Role name: its model and system prompt; the first role speaks first."))
            .required("turns", Shape.integer(1L, 100L, "How many messages at most."))
            .optional("until", Shape.string("Stop early when this holds; it may read `last` (the last message), `turn` (messages so far) and the record."))
            .optional("output", Shape.string("The field the messages are written to (default: the node's name)."))
            .build();
    /** Names the `until` condition may read besides record fields. */
    private static final Set<String> CONVERSATION_NAMES = Set.of("last", "turn", "speaker");

    public ConversationKind() {
        super("conversation", 1,
                "Two or more roles, each with its own model and prompt, talk for N turns or until a condition holds.",
                SHAPE);
    }

    @Override
    public Node configure(NodeConfig config) {
        YamlValue.Mapping y = config.yaml();
        YamlValue.Mapping rolesYaml = (YamlValue.Mapping) y.get("roles");
        if (rolesYaml.entries().size() < 2) {
            config.problems().add(rolesYaml.location(), "node '" + config.nodeName() + "': a conversation needs at least two roles");
            return null;
        }
        List<Role> roles = new ArrayList<>();
        boolean ok = true;
        boolean first = true;
        for (Map.Entry<String, YamlValue> e : rolesYaml.entries().entrySet()) {
            YamlValue.Mapping r = (YamlValue.Mapping) e.getValue();
            ModelProfile model = config.model(r.get("model"));
            Template system = system(config, e.getKey(), r);
            Template opener = r.has("opener") ? config.template(r.get("opener")) : null;
            if (r.has("opener") && !first) {
                config.problems().add(r.keyLocation("opener"), "node '" + config.nodeName() + "': only the first role ('"
                        + rolesYaml.entries().keySet().iterator().next() + "') opens the conversation");
                ok = false;
            }
            ok &= model != null && system != null && (!r.has("opener") || opener != null);
            if (model != null) roles.add(new Role(e.getKey(), model.name(), system, opener));
            first = false;
        }
        int turns = ((Number) y.get("turns").toPlain()).intValue();
        Expression until = y.has("until") ? config.expression(y.get("until")) : null;
        String output = y.get("output") instanceof YamlValue.Scalar s ? s.text() : config.nodeName();
        if (!ok || (y.has("until") && until == null)) return null;
        return new ConversationNode(roles, turns, until, output);
    }

    /** The role's system template, inline or from its file; null with a problem reported when it has neither, both, or a bad one. */
    private static Template system(NodeConfig config, String role, YamlValue.Mapping r) {
        if (r.has("system") && r.has("system_file")) {
            config.problems().add(r.keyLocation("system_file"), "node '" + config.nodeName() + "': role '" + role
                    + "' has `system` and `system_file`; give one");
            return null;
        }
        if (r.has("system")) return config.template(r.get("system"));
        if (r.has("system_file")) return config.templateFile(r.get("system_file"));
        config.problems().add(r.location(), "node '" + config.nodeName() + "': role '" + role + "' needs `system` or `system_file`");
        return null;
    }

    private record Role(String name, String profile, Template system, Template opener) {}

    private record ConversationNode(List<Role> roles, int turns, Expression until, String output) implements Node {
        public List<FieldRead> reads() {
            List<FieldRead> r = new ArrayList<>();
            for (Role role : roles) {
                r.addAll(role.system().reads());
                if (role.opener() != null) r.addAll(role.opener().reads());
            }
            if (until != null) until.reads().stream().filter(f -> !CONVERSATION_NAMES.contains(f.field())).forEach(r::add);
            return r;
        }

        public Set<String> writes() {
            return Set.of(output);
        }

        public StepOutcome run(StepContext ctx) throws InterruptedException {
            List<Map<String, Object>> messages = new ArrayList<>();
            Map<String, String> systems = new LinkedHashMap<>();
            for (Role role : roles) systems.put(role.name(), ctx.render(role.system()));
            for (int turn = 0; turn < turns; turn++) {
                Role speaker = roles.get(turn % roles.size());
                String text;
                if (turn == 0 && speaker.opener() != null) {
                    text = ctx.render(speaker.opener());
                } else {
                    ModelResponse r = ctx.ask(speaker.profile(), ModelRequest.of(view(speaker, systems.get(speaker.name()), messages)));
                    text = r.text().strip();
                    if (text.isEmpty()) throw new StepFailedException("role '" + speaker.name() + "' (model '" + speaker.profile()
                            + "') returned an empty message at turn " + (turn + 1));
                }
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("role", speaker.name());
                m.put("content", text);
                messages.add(m);
                if (until != null) {
                    Map<String, Object> scope = new LinkedHashMap<>(ctx.state());
                    scope.put("last", text);
                    scope.put("turn", turn + 1);
                    scope.put("speaker", speaker.name());
                    if (TemplateEngine.truthy(ctx.evaluate(until, scope))) break;
                }
            }
            return StepOutcome.write(output, messages);
        }

        /** The conversation as one role sees it: its own lines are the assistant's. */
        private static List<ChatMessage> view(Role speaker, String system, List<Map<String, Object>> messages) {
            List<ChatMessage> out = new ArrayList<>();
            out.add(ChatMessage.system(system));
            if (messages.isEmpty()) out.add(ChatMessage.user("Begin the conversation."));
            for (Map<String, Object> m : messages) {
                String text = (String) m.get("content");
                out.add(speaker.name().equals(m.get("role")) ? ChatMessage.assistant(text) : ChatMessage.user(text));
            }
            return out;
        }
    }
}
