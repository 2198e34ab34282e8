package dev.weft.node;

import dev.weft.spi.Node;
import dev.weft.spi.NodeConfig;
import dev.weft.spi.AbstractNodeKind;
import dev.weft.spi.StepContext;
import dev.weft.spi.StepOutcome;
import dev.weft.template.Expression;
import dev.weft.template.FieldRead;
import dev.weft.template.Template;
import dev.weft.yaml.Shape;
import dev.weft.yaml.YamlValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code kind: transform}: sets fields from expressions ({@code words: "answer | wordcount"}),
 * from templates (a value containing <code>{{</code> or <code>{%</code> renders to text), or to
 * YAML numbers and booleans as they are. A constant text is an expression literal: {@code "'x'"}.
 */
public final class TransformKind extends AbstractNodeKind {
    private static final Shape.Obj SHAPE = Shape.Obj.builder(null)
            .required("set", Shape.mapOf(Shape.any("An expression, a template (text with {{ }}), or a constant."), "Field: value."))
            .build();

    public TransformKind() {
        super("transform", 1,
                "Sets fields from expressions, templates or constants; no model call.",
                SHAPE);
    }

    @Override
    public Node configure(NodeConfig config) {
        YamlValue.Mapping set = (YamlValue.Mapping) config.yaml().get("set");
        Map<String, Value> values = new LinkedHashMap<>();
        boolean ok = true;
        for (Map.Entry<String, YamlValue> e : set.entries().entrySet()) {
            YamlValue v = e.getValue();
            if (v instanceof YamlValue.Scalar s && s.type() == YamlValue.ScalarType.STRING) {
                if (s.text().contains("{{") || s.text().contains("{%")) {
                    Template t = config.template(s);
                    ok &= t != null;
                    values.put(e.getKey(), new Value(t, null, null));
                } else {
                    Expression x = config.expression(s);
                    ok &= x != null;
                    values.put(e.getKey(), new Value(null, x, null));
                }
            } else {
                values.put(e.getKey(), new Value(null, null, v.toPlain()));
            }
        }
        if (set.entries().isEmpty()) {
            config.problems().add(set.location(), "node '" + config.nodeName() + "': `set` needs at least one field");
            ok = false;
        }
        return ok ? new TransformNode(values) : null;
    }

    private record Value(Template template, Expression expression, Object constant) {}

    private record TransformNode(Map<String, Value> values) implements Node {
        public List<FieldRead> reads() {
            List<FieldRead> r = new ArrayList<>();
            for (Value v : values.values()) {
                if (v.template() != null) r.addAll(v.template().reads());
                if (v.expression() != null) r.addAll(v.expression().reads());
            }
            return r;
        }

        public Set<String> writes() {
            return values.keySet();
        }

        public StepOutcome run(StepContext ctx) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<String, Value> e : values.entrySet()) {
                Value v = e.getValue();
                out.put(e.getKey(), v.template() != null ? ctx.render(v.template())
                        : v.expression() != null ? Values.plain(ctx.evaluate(v.expression())) : v.constant());
            }
            return StepOutcome.write(out);
        }
    }
}
