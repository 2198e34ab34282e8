package dev.weft.node;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.spi.Node;
import dev.weft.spi.NodeConfig;
import dev.weft.spi.AbstractNodeKind;
import dev.weft.spi.StepContext;
import dev.weft.spi.StepFailedException;
import dev.weft.spi.StepOutcome;
import dev.weft.store.RecordPath;
import dev.weft.template.Expression;
import dev.weft.template.FieldRead;
import dev.weft.yaml.Shape;
import dev.weft.yaml.YamlValue;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code kind: explode}: fans a record out into child records, one per item of a list. Each child
 * is a copy of the record with the item in {@code as} (and its position in {@code index}), gets
 * the id {@code <record id>/<position>} and goes on through the graph on its own. A string is read
 * as a JSON array when it is one, else split into its non-empty lines. An empty list drops the
 * record ("explode: no items"). At most {@code max} children; the items beyond are left out, and
 * the parent's record says how many.
 */
public final class ExplodeKind extends AbstractNodeKind {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern FIELD = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Shape.Obj SHAPE = Shape.Obj.builder(null)
            .required("items", Shape.string("An expression giving the list to fan out (a string: a JSON array, or one item per non-empty line)."))
            .optional("as", Shape.string("The field each child gets its item in (default: the node's name)."))
            .optional("index", Shape.string("A field for the child's position (0, 1, ...); none by default."))
            .optional("max", Shape.integer(1L, (long) RecordPath.MAX_CHILDREN, "At most this many children; the items beyond are left out (default "
                    + RecordPath.MAX_CHILDREN + ")."))
            .build();

    public ExplodeKind() {
        super("explode", 1,
                "Fans a record out into child records, one per item of a list; each goes on through the graph on its own.",
                SHAPE);
    }

    @Override
    public Node configure(NodeConfig config) {
        YamlValue.Mapping y = config.yaml();
        Expression items = config.expression(y.get("items"));
        String as = field(config, "as", config.nodeName());
        String index = field(config, "index", null);
        boolean ok = items != null && as != null && (index != null || !y.has("index"));
        if (ok && as.equals(index)) {
            config.problems().add(y.get("index").location(), "node '" + config.nodeName() + "': `index` and `as` name the same field '" + as
                    + "'; give the position a field of its own");
            ok = false;
        }
        int max = y.get("max") instanceof YamlValue.Scalar s ? ((Number) s.toPlain()).intValue() : RecordPath.MAX_CHILDREN;
        return ok ? new ExplodeNode(items, as, index, max) : null;
    }

    private static String field(NodeConfig config, String key, String fallback) {
        YamlValue v = config.yaml().get(key);
        if (v == null) return fallback;
        String name = String.valueOf(v.toPlain());
        if (!FIELD.matcher(name).matches()) {
            config.problems().add(v.location(), "node '" + config.nodeName() + "': `" + key + "` is a field name (letters, digits and _,"
                    + " not starting with a digit), not '" + name + "'");
            return null;
        }
        return name;
    }

    private record ExplodeNode(Expression items, String as, String index, int max) implements Node {
        public List<FieldRead> reads() {
            return items.reads();
        }

        public Set<String> writes() {
            Set<String> w = new LinkedHashSet<>();
            w.add(as);
            if (index != null) w.add(index);
            return w;
        }

        public StepOutcome run(StepContext ctx) {
            List<Object> list = list(ctx.evaluate(items));
            if (list.isEmpty()) return StepOutcome.drop("explode: no items");
            List<Map<String, Object>> children = new ArrayList<>();
            for (int i = 0; i < Math.min(max, list.size()); i++) {
                Map<String, Object> child = new LinkedHashMap<>();
                child.put(as, list.get(i));
                if (index != null) child.put(index, i);
                children.add(child);
            }
            StepOutcome out = StepOutcome.explode(children);
            return list.size() > max ? out.withNote(list.size() + " items; the " + (list.size() - max) + " beyond max: " + max + " were left out") : out;
        }

        private List<Object> list(Object value) {
            Object v = Values.plain(value);
            if (v instanceof String s) {
                String t = s.strip();
                if (t.startsWith("[")) {
                    try {
                        if (JSON.readValue(t, Object.class) instanceof List<?> parsed) return new ArrayList<>(parsed);
                    } catch (JsonProcessingException notJson) {
                        // then it is lines of text
                    }
                }
                List<Object> lines = new ArrayList<>();
                for (String line : s.split("\\R")) if (!line.isBlank()) lines.add(line.strip());
                return lines;
            }
            if (v instanceof Collection<?> c) return new ArrayList<>(c);
            if (v == null) throw new StepFailedException("`items` (" + items.source() + ") gave no value; it must give a list");
            throw new StepFailedException("`items` (" + items.source() + ") gave " + (v instanceof Map ? "a mapping" : "the "
                    + v.getClass().getSimpleName().toLowerCase() + " " + v) + "; it must give a list, or a text with one item per line");
        }
    }
}
