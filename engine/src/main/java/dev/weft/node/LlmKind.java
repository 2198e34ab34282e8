package dev.weft.node;

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
import dev.weft.yaml.Shape;
import dev.weft.yaml.YamlValue;
import java.util.List;
import java.util.Set;

/** {@code kind: llm}: one model answers a prompt; the answer is written to a field. */
public final class LlmKind implements NodeKind {
    private static final Shape.Obj SHAPE = Shape.Obj.builder(null)
            .required("model", Shape.string("A model profile's name."))
            .required("prompt", Prompt.shape("The prompt."))
            .optional("output", Shape.string("The field the answer is written to (default: the node's name)."))
            .build();

    @Override
    public String name() {
        return "llm";
    }

    @Override
    public int version() {
        return 1;
    }

    @Override
    public String description() {
        return "A model answers a prompt; the answer text is written to `output`.";
    }

    @Override
    public Shape.Obj shape() {
        return SHAPE;
    }

    @Override
    public Node configure(NodeConfig config) {
        YamlValue.Mapping y = config.yaml();
        ModelProfile model = config.model(y.get("model"));
        Prompt prompt = Prompt.read(config, y.get("prompt"));
        String output = y.get("output") instanceof YamlValue.Scalar s ? s.text() : config.nodeName();
        if (model == null || prompt == null) return null;
        return new LlmNode(config.nodeName(), model.name(), prompt, output);
    }

    private record LlmNode(String name, String profile, Prompt prompt, String output) implements Node {
        public List<FieldRead> reads() {
            return prompt.reads();
        }

        public Set<String> writes() {
            return Set.of(output);
        }

        public StepOutcome run(StepContext ctx) throws InterruptedException {
            ModelResponse r = ctx.ask(profile, ModelRequest.of(prompt.render(ctx)));
            if (r.text().isBlank()) {
                throw new StepFailedException("model '" + profile + "' returned an empty answer"
                        + (r.finishReason() == null ? "" : " (finish reason: " + r.finishReason() + ")"));
            }
            return StepOutcome.write(output, r.text());
        }
    }
}
