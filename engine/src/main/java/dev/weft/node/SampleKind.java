package dev.weft.node;

import dev.weft.spi.Node;
import dev.weft.spi.NodeConfig;
import dev.weft.spi.AbstractNodeKind;
import dev.weft.spi.StepContext;
import dev.weft.spi.StepOutcome;
import dev.weft.template.FieldRead;
import dev.weft.yaml.Shape;
import dev.weft.yaml.YamlValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * {@code kind: sample}: draws one value per attribute, uniformly from a list or by weight from a
 * mapping of value to weight. Seeded from (workflow seed, record id, node, visit): the same record
 * draws the same values in every run, resumed or not.
 */
public final class SampleKind extends AbstractNodeKind {
    private static final Shape.Obj SHAPE = Shape.Obj.builder(null)
            .required("attributes", Shape.mapOf(Shape.either(null,
                    Shape.listOf(Shape.any(null), "Values drawn uniformly."),
                    Shape.mapOf(Shape.number(0.0, null, null), "Value: weight.")), "Attribute: values."))
            .build();

    public SampleKind() {
        super("sample", 1,
                "Draws attribute values (uniform or weighted), reproducibly per record.",
                SHAPE);
    }

    @Override
    public Node configure(NodeConfig config) {
        YamlValue.Mapping attrs = (YamlValue.Mapping) config.yaml().get("attributes");
        Map<String, Choices> out = new LinkedHashMap<>();
        boolean ok = true;
        for (Map.Entry<String, YamlValue> e : attrs.entries().entrySet()) {
            List<Object> values = new ArrayList<>();
            List<Double> weights = new ArrayList<>();
            if (e.getValue() instanceof YamlValue.Sequence seq) {
                seq.items().forEach(i -> {
                    values.add(i.toPlain());
                    weights.add(1.0);
                });
            } else if (e.getValue() instanceof YamlValue.Mapping m) {
                m.entries().forEach((k, w) -> {
                    values.add(k);
                    weights.add(((Number) w.toPlain()).doubleValue());
                });
            }
            double total = weights.stream().mapToDouble(Double::doubleValue).sum();
            if (values.isEmpty() || total <= 0) {
                config.problems().add(e.getValue().location(), "node '" + config.nodeName() + "': attribute '" + e.getKey()
                        + "' needs at least one value with a positive weight");
                ok = false; // and go on: every empty attribute is reported at once
                continue;
            }
            out.put(e.getKey(), new Choices(values, weights.stream().mapToDouble(Double::doubleValue).toArray(), total));
        }
        return ok ? new SampleNode(out) : null;
    }

    private record Choices(List<Object> values, double[] weights, double total) {
        Object draw(SplittableRandom random) {
            double x = random.nextDouble() * total;
            for (int i = 0; i < weights.length; i++) {
                x -= weights[i];
                if (x < 0) return values.get(i);
            }
            return values.get(values.size() - 1);
        }
    }

    private record SampleNode(Map<String, Choices> attributes) implements Node {
        public List<FieldRead> reads() {
            return List.of();
        }

        public Set<String> writes() {
            return attributes.keySet();
        }

        public StepOutcome run(StepContext ctx) {
            SplittableRandom random = new SplittableRandom(ctx.seed());
            Map<String, Object> out = new LinkedHashMap<>();
            attributes.forEach((k, c) -> out.put(k, c.draw(random)));
            return StepOutcome.write(out);
        }
    }
}
