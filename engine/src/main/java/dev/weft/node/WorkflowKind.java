package dev.weft.node;

import dev.weft.graph.GraphChecker;
import dev.weft.spi.DroppedRecordException;
import dev.weft.spi.Node;
import dev.weft.spi.NodeConfig;
import dev.weft.spi.AbstractNodeKind;
import dev.weft.spi.StepContext;
import dev.weft.spi.StepOutcome;
import dev.weft.template.Expression;
import dev.weft.template.FieldRead;
import dev.weft.template.Template;
import dev.weft.workflow.NodeDef;
import dev.weft.workflow.Workflow;
import dev.weft.yaml.Shape;
import dev.weft.yaml.ShapeChecker;
import dev.weft.yaml.YamlValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code kind: workflow}: another workflow file runs as one step of this one, for the record at
 * hand. {@code input} makes its record (its source field: an expression or template over this
 * record), its nodes and edges run in-process through the same engine (models, step cache, cache
 * mode; its sink is not written), and {@code output} takes fields back (this record's field: an
 * expression over its final state) — without {@code output}, every field its nodes wrote goes, as
 * one object, to the field named like this node. {@code overrides} changes the loaded file as
 * {@code --set} would. A record it drops is dropped here with its reason; one it fails fails here.
 * Immutable and thread-safe.
 */
public final class WorkflowKind extends AbstractNodeKind {
    private static final Shape.Obj SHAPE = Shape.Obj.builder(null)
            .required("workflow", Shape.string("The workflow file to run, relative to this one."))
            .optional("input", Shape.mapOf(Shape.any("An expression, a template (text with {{ }}), or a constant."),
                    "Its record: its source field: value over this record (default: an empty record)."))
            .optional("output", Shape.mapOf(Shape.string("An expression over its final state."),
                    "This record's field: expression over its final state (default: every field it wrote, as one object under the node's name)."))
            .optional("overrides", Shape.mapOf(Shape.any("The new value."),
                    "Changes to it, as --set would: dotted path (nodes.grade.rubric, seed) to value."))
            .build();

    public WorkflowKind() {
        super("workflow", 1,
                "Runs another workflow file for the record, with field mapping in and out and overrides of its values.",
                SHAPE);
    }

    @Override
    public Node configure(NodeConfig config) {
        YamlValue.Mapping y = config.yaml();
        String node = config.nodeName();
        boolean ok = true;
        Map<String, Value> inputs = new LinkedHashMap<>();
        if (y.get("input") instanceof YamlValue.Mapping in) {
            for (Map.Entry<String, YamlValue> e : in.entries().entrySet()) {
                Value v = Value.of(config, e.getValue());
                ok &= v != null;
                inputs.put(e.getKey(), v);
            }
        }
        Map<String, Expression> outputs = new LinkedHashMap<>();
        if (y.get("output") instanceof YamlValue.Mapping out) {
            if (out.entries().isEmpty()) {
                config.problems().add(out.location(), "node '" + node + "': `output` needs at least one field; leave it out to take every"
                        + " field the workflow writes");
                ok = false;
            }
            for (Map.Entry<String, YamlValue> e : out.entries().entrySet()) {
                Expression x = config.expression(e.getValue());
                ok &= x != null;
                outputs.put(e.getKey(), x);
            }
        }
        YamlValue.Mapping overrides = y.get("overrides") instanceof YamlValue.Mapping m ? m : null;
        Workflow child = config.workflow(y.get("workflow"), new LinkedHashSet<>(inputs.keySet()), overrides);
        if (child == null) return null;
        if (ok && !outputs.isEmpty()) ok = outputsReadWhatItEndsWith(config, child, inputs.keySet(), outputs);
        if (!ok) return null;
        Set<String> written = new LinkedHashSet<>();
        child.nodes().values().forEach(n -> written.addAll(n.node().writes()));
        return new WorkflowNode(node, child, inputs, outputs, written);
    }

    /** Every field an `output` expression reads must be in the child's record at its END, on every path. */
    private static boolean outputsReadWhatItEndsWith(NodeConfig config, Workflow child, Set<String> inputs, Map<String, Expression> outputs) {
        Set<String> atEnd = GraphChecker.fieldsAtEnd(child.nodes(), child.edges(), child.start(), inputs);
        Set<String> anywhere = new TreeSet<>(inputs);
        child.nodes().values().forEach(n -> anywhere.addAll(n.node().writes()));
        String file = config.yaml().get("workflow") instanceof YamlValue.Scalar s ? s.text() : child.name();
        boolean ok = true;
        for (Map.Entry<String, Expression> e : outputs.entrySet()) {
            for (FieldRead r : e.getValue().reads()) {
                if (atEnd.contains(r.field())) continue;
                ok = false;
                String about = "node '" + config.nodeName() + "': `output." + e.getKey() + "` reads field '" + r.field() + "'";
                if (!anywhere.contains(r.field())) {
                    config.problems().add(r.at(), about + ", which workflow " + file + " never writes (its records end with: "
                            + String.join(", ", new TreeSet<>(atEnd)) + ")"
                            + ShapeChecker.nearest(r.field(), anywhere).map(n -> "; did you mean '" + n + "'?").orElse(""));
                } else {
                    config.problems().add(r.at(), about + ", which workflow " + file + " writes on some paths only (on every path its records"
                            + " end with: " + String.join(", ", new TreeSet<>(atEnd)) + ")");
                }
            }
        }
        return ok;
    }

    /** An input value: a template (text with {{ or {%), an expression (other text), or a constant (numbers, booleans, ...). */
    private record Value(Template template, Expression expression, Object constant) {
        static Value of(NodeConfig config, YamlValue v) {
            if (v instanceof YamlValue.Scalar s && s.type() == YamlValue.ScalarType.STRING) {
                if (s.text().contains("{{") || s.text().contains("{%")) {
                    Template t = config.template(s);
                    return t == null ? null : new Value(t, null, null);
                }
                Expression x = config.expression(s);
                return x == null ? null : new Value(null, x, null);
            }
            return new Value(null, null, v.toPlain());
        }

        List<FieldRead> reads() {
            return template != null ? template.reads() : expression != null ? expression.reads() : List.of();
        }

        Object of(StepContext ctx) {
            return template != null ? ctx.render(template) : expression != null ? Values.plain(ctx.evaluate(expression)) : constant;
        }
    }

    /** @param written the fields the child's nodes write: without `output`, those it did write are taken back */
    private record WorkflowNode(String name, Workflow child, Map<String, Value> inputs, Map<String, Expression> outputs,
                                Set<String> written) implements Node {
        public List<FieldRead> reads() {
            List<FieldRead> r = new ArrayList<>();
            inputs.values().forEach(v -> r.addAll(v.reads()));
            return r;
        }

        public Set<String> writes() {
            return outputs.isEmpty() ? Set.of(name) : outputs.keySet();
        }

        public StepOutcome run(StepContext ctx) throws InterruptedException {
            Map<String, Object> fields = new LinkedHashMap<>();
            inputs.forEach((field, v) -> fields.put(field, v.of(ctx)));
            // The sub-record's id places it under this record, node and visit: its steps get keys of their own.
            String id = ctx.recordId() + "/" + name + "/" + ctx.visit();
            Map<String, Object> state;
            try {
                state = ctx.runWorkflow(child, id, fields);
            } catch (DroppedRecordException e) {
                return StepOutcome.drop(name + ": " + e.reason());
            }
            if (outputs.isEmpty()) {
                Map<String, Object> wrote = new LinkedHashMap<>();
                state.forEach((k, v) -> {
                    if (written.contains(k)) wrote.put(k, v);
                });
                return StepOutcome.write(name, wrote);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            outputs.forEach((field, x) -> out.put(field, Values.plain(ctx.evaluate(x, state))));
            return StepOutcome.write(out);
        }
    }
}
