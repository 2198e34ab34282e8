package dev.weft.node;

import dev.weft.model.ChatMessage;
import dev.weft.spi.NodeConfig;
import dev.weft.spi.StepContext;
import dev.weft.template.FieldRead;
import dev.weft.template.Template;
import dev.weft.yaml.Shape;
import dev.weft.yaml.YamlValue;
import java.util.ArrayList;
import java.util.List;

/**
 * A node's prompt: a system and a user template, each written inline or kept in a file beside the
 * workflow. Immutable and thread-safe.
 */
record Prompt(Template system, Template user) {

    static Shape shape(String what) {
        return Shape.either(what,
                Shape.string("The user message, as a template."),
                Shape.Obj.builder("System and user messages, inline or from files (relative to the workflow).")
                        .optional("system", Shape.string(null))
                        .optional("user", Shape.string(null))
                        .optional("system_file", Shape.string(null))
                        .optional("user_file", Shape.string(null))
                        .build());
    }

    /** Reads a prompt from a node key; returns null with a problem reported if it is unusable. */
    static Prompt read(NodeConfig config, YamlValue value) {
        if (value instanceof YamlValue.Scalar) {
            Template user = config.template(value);
            return user == null ? null : new Prompt(null, user);
        }
        YamlValue.Mapping m = (YamlValue.Mapping) value;
        if (m.has("system") && m.has("system_file")) config.problems().add(m.keyLocation("system_file"), "node '" + config.nodeName() + "': give `system` or `system_file`, not both");
        if (m.has("user") && m.has("user_file")) config.problems().add(m.keyLocation("user_file"), "node '" + config.nodeName() + "': give `user` or `user_file`, not both");
        if (!m.has("user") && !m.has("user_file")) {
            config.problems().add(m.location(), "node '" + config.nodeName() + "': the prompt needs `user` or `user_file`");
            return null;
        }
        Template system = m.has("system") ? config.template(m.get("system")) : m.has("system_file") ? config.templateFile(m.get("system_file")) : null;
        Template user = m.has("user") ? config.template(m.get("user")) : config.templateFile(m.get("user_file"));
        boolean systemFailed = (m.has("system") || m.has("system_file")) && system == null;
        return user == null || systemFailed ? null : new Prompt(system, user);
    }

    List<ChatMessage> render(StepContext ctx) {
        List<ChatMessage> out = new ArrayList<>(2);
        if (system != null) out.add(ChatMessage.system(ctx.render(system)));
        out.add(ChatMessage.user(ctx.render(user)));
        return out;
    }

    List<FieldRead> reads() {
        List<FieldRead> r = new ArrayList<>();
        if (system != null) r.addAll(system.reads());
        r.addAll(user.reads());
        return r;
    }
}
