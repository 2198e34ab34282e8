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
import dev.weft.template.FieldRead;
import dev.weft.yaml.Shape;
import dev.weft.yaml.YamlValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code kind: llm}: one model answers a prompt and the text is written to a field; or, with
 * {@code models: [weak, strong]}, each profile answers the same prompt and the field holds the
 * answers keyed by profile — the raw material for preference pairs. With {@code schema:} the model
 * answers in JSON of that shape (as a judge's verdict, re-asked when it does not fit) and the field
 * holds the parsed object.
 */
public final class LlmKind extends AbstractNodeKind {
    private static final Shape.Obj SHAPE = Shape.Obj.builder(null)
            .optional("model", Shape.string("A model profile's name."))
            .optional("models", Shape.listOf(Shape.string(null), "Several profiles answer the same prompt; the output maps profile to answer."))
            .required("prompt", Prompt.shape("The prompt."))
            .optional("output", Shape.string("The field the answer is written to (default: the node's name)."))
            .optional("schema", AnswerSchema.shape("Ask for a JSON answer of these fields and types (as a judge's `output`); the parsed"
                    + " object is written to `output`, read as gen.questions."))
            .optional("retries", Shape.integer(0L, 10L, "With `schema`: how often an unusable answer is asked again (default 1)."))
            .build();

    public LlmKind() {
        super("llm", 1,
                "A model (or several) answers a prompt; the answer text, or with `schema` the parsed JSON answer, is written to `output`.",
                SHAPE);
    }

    @Override
    public Node configure(NodeConfig config) {
        YamlValue.Mapping y = config.yaml();
        if (y.has("model") == y.has("models")) {
            config.problems().add(y.location(), "node '" + config.nodeName() + "' needs either `model: NAME` or `models: [NAME, ...]`");
            return null;
        }
        List<String> profiles = new ArrayList<>();
        boolean ok = true;
        if (y.get("model") != null) {
            ModelProfile p = config.model(y.get("model"));
            if (p == null) ok = false;
            else profiles.add(p.name());
        } else {
            YamlValue.Sequence list = (YamlValue.Sequence) y.get("models");
            if (list.items().isEmpty()) {
                config.problems().add(list.location(), "node '" + config.nodeName() + "': `models` needs at least one profile");
                ok = false;
            }
            for (YamlValue v : list.items()) {
                ModelProfile p = config.model(v);
                if (p == null) {
                    ok = false;
                } else if (profiles.contains(p.name())) {
                    config.problems().add(v.location(), "node '" + config.nodeName() + "': profile '" + p.name() + "' is listed twice");
                    ok = false;
                } else {
                    profiles.add(p.name());
                }
            }
        }
        Prompt prompt = Prompt.read(config, y.get("prompt"));
        String output = y.get("output") instanceof YamlValue.Scalar s ? s.text() : config.nodeName();
        AnswerSchema schema = null;
        if (y.get("schema") instanceof YamlValue.Mapping m) {
            int before = config.problems().size();
            schema = AnswerSchema.parse(m, config.nodeName(), "schema", config.problems());
            ok &= config.problems().size() == before;
        }
        if (y.has("retries") && !y.has("schema")) {
            config.problems().add(y.keyLocation("retries"), "node '" + config.nodeName() + "': `retries` re-asks for an answer that does"
                    + " not fit `schema`; without a `schema` there is nothing to retry (model errors are retried by the profile's `max_retries`)");
            ok = false;
        }
        int retries = y.get("retries") instanceof YamlValue.Scalar s ? ((Number) s.toPlain()).intValue() : 1;
        if (!ok || prompt == null) return null;
        return new LlmNode(profiles, y.has("models"), prompt, output, schema, retries);
    }

    /**
     * @param keyed  write {profile: answer} (from `models:`) rather than the answer itself
     * @param schema the JSON answer's shape, or null for a text answer
     */
    private record LlmNode(List<String> profiles, boolean keyed, Prompt prompt, String output, AnswerSchema schema, int retries)
            implements Node {
        public List<FieldRead> reads() {
            return prompt.reads();
        }

        public Set<String> writes() {
            return Set.of(output);
        }

        public StepOutcome run(StepContext ctx) throws InterruptedException {
            Map<String, Object> answers = new LinkedHashMap<>();
            if (schema != null) {
                List<ChatMessage> messages = prompt.render(ctx);
                for (String profile : profiles) answers.put(profile, schema.ask(ctx, profile, messages, retries, "the answer of model '" + profile + "'"));
                return StepOutcome.write(output, keyed ? answers : answers.get(profiles.get(0)));
            }
            ModelRequest request = ModelRequest.of(prompt.render(ctx));
            for (String profile : profiles) {
                ModelResponse r = ctx.ask(profile, request);
                if (r.text().isBlank()) {
                    throw new StepFailedException("model '" + profile + "' returned an empty answer"
                            + (r.finishReason() == null ? "" : " (finish reason: " + r.finishReason() + ")"));
                }
                answers.put(profile, r.text());
            }
            return StepOutcome.write(output, keyed ? answers : answers.get(profiles.get(0)));
        }
    }
}
