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
import java.util.List;
import java.util.Set;

/**
 * {@code kind: filter}: drops a record that breaks a rule, keeping it in the store with the
 * reason. A rule is {@code keep: EXPR} (drop unless true) or {@code drop: EXPR} (drop if true),
 * with an optional {@code reason} template; several go under {@code rules:}.
 */
public final class FilterKind extends AbstractNodeKind {
    private static final Shape.Obj RULE = Shape.Obj.builder("One rule.")
            .optional("keep", Shape.string("Keep the record only if this expression is true."))
            .optional("drop", Shape.string("Drop the record if this expression is true."))
            .optional("reason", Shape.string("Why it was dropped (a template), recorded with the record."))
            .build();
    private static final Shape.Obj SHAPE = RULE.with(Shape.Obj.builder(null)
            .optional("rules", Shape.listOf(RULE, "Several rules, checked in order."))
            .build());

    public FilterKind() {
        super("filter", 1,
                "Drops records that break a rule; a dropped record is kept in the store with its reason.",
                SHAPE);
    }

    @Override
    public Node configure(NodeConfig config) {
        YamlValue.Mapping y = config.yaml();
        List<YamlValue.Mapping> specs = new ArrayList<>();
        if (y.has("keep") || y.has("drop")) specs.add(y);
        if (y.get("rules") instanceof YamlValue.Sequence seq) seq.items().forEach(i -> specs.add((YamlValue.Mapping) i));
        if (specs.isEmpty()) {
            config.problems().add(y.location(), "node '" + config.nodeName() + "': a filter needs `keep:`, `drop:` or `rules:`");
            return null;
        }
        if (y.has("reason") && !y.has("keep") && !y.has("drop")) {
            config.problems().add(y.keyLocation("reason"), "node '" + config.nodeName() + "': `reason` belongs to a `keep:` or `drop:` rule");
        }
        List<Rule> rules = new ArrayList<>();
        boolean ok = true;
        for (YamlValue.Mapping m : specs) {
            if (m.has("keep") == m.has("drop")) {
                config.problems().add(m.location(), "node '" + config.nodeName() + "': each rule has exactly one of `keep:` and `drop:`; this one has "
                        + (m.has("keep") ? "both: split it into two rules" : "neither"));
                ok = false;
                continue;
            }
            boolean keep = m.has("keep");
            Expression test = config.expression(m.get(keep ? "keep" : "drop"));
            Template reason = m.has("reason") ? config.template(m.get("reason")) : null;
            if (test == null || (m.has("reason") && reason == null)) {
                ok = false;
                continue;
            }
            rules.add(new Rule(keep, test, reason));
        }
        return ok ? new FilterNode(rules) : null;
    }

    private record Rule(boolean keep, Expression test, Template reason) {}

    private record FilterNode(List<Rule> rules) implements Node {
        public List<FieldRead> reads() {
            List<FieldRead> r = new ArrayList<>();
            for (Rule rule : rules) {
                r.addAll(rule.test().reads());
                if (rule.reason() != null) r.addAll(rule.reason().reads());
            }
            return r;
        }

        public Set<String> writes() {
            return Set.of();
        }

        public StepOutcome run(StepContext ctx) {
            for (Rule rule : rules) {
                boolean result = ctx.test(rule.test());
                if (result != rule.keep()) {
                    String reason = rule.reason() != null ? ctx.render(rule.reason())
                            : (rule.keep() ? "failed keep: " : "matched drop: ") + rule.test().source();
                    return StepOutcome.drop(reason);
                }
            }
            return StepOutcome.write(java.util.Map.of());
        }
    }
}
