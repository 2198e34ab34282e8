package dev.weft.examples.custom;

import dev.weft.spi.Node;
import dev.weft.spi.NodeConfig;
import dev.weft.spi.NodeKind;
import dev.weft.spi.StepContext;
import dev.weft.spi.StepOutcome;
import dev.weft.template.FieldRead;
import dev.weft.template.Template;
import dev.weft.yaml.Shape;
import dev.weft.yaml.YamlValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code kind: redact}: renders a text template over the record and replaces personal data in it
 * (e-mail addresses, phone numbers) with placeholders, writing the result to {@code output}.
 *
 * <pre>
 * scrub:
 *   kind: redact
 *   text: "{{ solution.answer }}"
 *   patterns: [email, phone]     # optional; default: all
 *   output: clean_answer         # optional; default: the node's name
 * </pre>
 *
 * A node kind is stateless: {@link #configure} turns one node's YAML into an immutable
 * {@link Node} that runs for every record at once, on many threads.
 */
public final class RedactKind implements NodeKind {
    /** Placeholder and pattern, by the name used in `patterns:`. */
    static final Map<String, Pattern> PATTERNS = new LinkedHashMap<>();

    static {
        PATTERNS.put("email", Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}"));
        PATTERNS.put("phone", Pattern.compile("\\+?\\d[\\d ().-]{7,}\\d"));
    }

    private static final Shape.Obj SHAPE = Shape.Obj.builder(null)
            .required("text", Shape.string("The text to redact, as a template over the record."))
            .optional("patterns", Shape.listOf(Shape.oneOf(List.copyOf(PATTERNS.keySet()), null),
                    "What to redact (default: all of " + String.join(", ", PATTERNS.keySet()) + ")."))
            .optional("output", Shape.string("The field written (default: the node's name)."))
            .build();

    @Override
    public String name() {
        return "redact";
    }

    @Override
    public int version() {
        return 1; // part of every cache key: bump it when the output for the same input changes
    }

    @Override
    public String description() {
        return "Replaces e-mail addresses and phone numbers in a text with [email] and [phone].";
    }

    @Override
    public Shape.Obj shape() {
        return SHAPE; // checked before configure() is called, with "did you mean" for typos
    }

    @Override
    public Node configure(NodeConfig config) {
        YamlValue.Mapping y = config.yaml();
        Template text = config.template(y.get("text")); // reports template errors at their line
        List<String> patterns = new ArrayList<>();
        if (y.get("patterns") instanceof YamlValue.Sequence list) {
            for (YamlValue item : list.items()) patterns.add(((YamlValue.Scalar) item).text());
            if (patterns.isEmpty()) {
                config.problems().add(list.location(), "node '" + config.nodeName() + "': `patterns` is empty; leave it out to redact everything");
            }
        } else {
            patterns.addAll(PATTERNS.keySet());
        }
        String output = y.get("output") instanceof YamlValue.Scalar s ? s.text() : config.nodeName();
        if (text == null || patterns.isEmpty()) return null;
        return new RedactNode(text, List.copyOf(patterns), output);
    }

    private record RedactNode(Template text, List<String> patterns, String output) implements Node {
        public List<FieldRead> reads() {
            return text.reads(); // the validator checks these are written upstream
        }

        public Set<String> writes() {
            return Set.of(output);
        }

        public StepOutcome run(StepContext ctx) {
            String s = ctx.render(text);
            for (String p : patterns) s = PATTERNS.get(p).matcher(s).replaceAll("[" + p + "]");
            return StepOutcome.write(output, s);
        }
    }
}
