package dev.weft.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.model.ChatMessage;
import dev.weft.model.ModelProfile;
import dev.weft.model.ModelRequest;
import dev.weft.model.ModelResponse;
import dev.weft.spi.Node;
import dev.weft.spi.NodeConfig;
import dev.weft.spi.NodeKind;
import dev.weft.spi.StepContext;
import dev.weft.spi.StepFailedException;
import dev.weft.spi.StepOutcome;
import dev.weft.template.FieldRead;
import dev.weft.template.Template;
import dev.weft.yaml.Shape;
import dev.weft.yaml.YamlValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code kind: judge}: a model grades a record against a rubric and answers with a structured
 * verdict (by default {@code {score: integer 1..10, reason: string}}). An answer that does not
 * parse or fit is shown to the model with what is wrong and asked again; when the re-asks are
 * spent, the record fails.
 */
public final class JudgeKind implements NodeKind {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DEFAULT_SYSTEM = "You are a careful, strict judge. You answer with one JSON object and nothing else.";
    private static final Shape.Obj SHAPE = Shape.Obj.builder(null)
            .required("model", Shape.string("A model profile's name."))
            .required("rubric", Shape.string("What to judge and how, as a template over the record."))
            .optional("system", Shape.string("The system message (a template); a strict-judge default otherwise."))
            .optional("output", Shape.mapOf(Shape.either(null, Shape.string("string, boolean, integer, integer 1..10, number, number 0..1"),
                    Shape.listOf(Shape.string(null), "Allowed values.")), "The verdict's fields and types (default {score: integer 1..10, reason: string})."))
            .optional("field", Shape.string("The record field the verdict is written to (default: the node's name)."))
            .optional("retries", Shape.integer(0L, 10L, "How often an unusable answer is asked again (default 1)."))
            .build();

    @Override
    public String name() {
        return "judge";
    }

    @Override
    public int version() {
        return 1;
    }

    @Override
    public String description() {
        return "A model scores the record against a rubric with a validated structured verdict.";
    }

    @Override
    public Shape.Obj shape() {
        return SHAPE;
    }

    @Override
    public Node configure(NodeConfig config) {
        YamlValue.Mapping y = config.yaml();
        ModelProfile model = config.model(y.get("model"));
        Template rubric = config.template(y.get("rubric"));
        Template system = y.has("system") ? config.template(y.get("system")) : null;
        AnswerSchema schema = y.get("output") instanceof YamlValue.Mapping m
                ? AnswerSchema.parse(m, config.nodeName(), config.problems()) : AnswerSchema.defaultScore();
        String field = y.get("field") instanceof YamlValue.Scalar s ? s.text() : config.nodeName();
        int retries = y.get("retries") instanceof YamlValue.Scalar s ? ((Number) s.toPlain()).intValue() : 1; // any YAML integer form
        if (model == null || rubric == null || (y.has("system") && system == null)) return null;
        return new JudgeNode(model.name(), system, rubric, schema, field, retries);
    }

    private record JudgeNode(String profile, Template system, Template rubric, AnswerSchema schema, String field, int retries)
            implements Node {
        public List<FieldRead> reads() {
            List<FieldRead> r = new ArrayList<>(rubric.reads());
            if (system != null) r.addAll(system.reads());
            return r;
        }

        public Set<String> writes() {
            return Set.of(field);
        }

        public StepOutcome run(StepContext ctx) throws InterruptedException {
            List<ChatMessage> messages = new ArrayList<>();
            messages.add(ChatMessage.system(system == null ? DEFAULT_SYSTEM : ctx.render(system)));
            messages.add(ChatMessage.user(ctx.render(rubric) + "\n\nAnswer with only a JSON object that matches this JSON Schema:\n"
                    + schema.json().toString()));
            String problem = null;
            for (int attempt = 0; attempt <= retries; attempt++) {
                ModelResponse r = ctx.ask(profile, new ModelRequest(messages, schema.json()));
                try {
                    JsonNode verdict = schema.parse(r.text());
                    return StepOutcome.write(field, JSON.convertValue(verdict, Map.class));
                } catch (IllegalArgumentException e) {
                    problem = e.getMessage();
                    messages.add(ChatMessage.assistant(r.text()));
                    messages.add(ChatMessage.user("That answer cannot be used: " + problem
                            + ". Answer again with only the JSON object, matching the schema."));
                }
            }
            throw new StepFailedException("the judge's answer could not be used after " + (retries + 1) + " attempts: " + problem);
        }
    }
}
