package dev.weft.node;

import dev.weft.model.ChatMessage;
import dev.weft.model.ModelProfile;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code kind: judge}: a model grades a record and answers with a validated JSON verdict. Three
 * modes:
 * <ul>
 *   <li>{@code score} (default): a rubric, and a verdict of the shape in {@code output}
 *       (default {@code {score: integer 1..10, reason: string}});</li>
 *   <li>{@code aspects}: one rubric per named aspect, each scored on {@code scale}
 *       (UltraFeedback-style); the verdict maps each aspect to {@code {score, reason}};</li>
 *   <li>{@code pairwise}: which of two responses ({@code a}, {@code b}) is better, asked twice
 *       with the order swapped; when the two verdicts disagree the result is a tie.</li>
 * </ul>
 * An answer that does not parse or fit is shown to the model with what is wrong and asked again;
 * when the re-asks are spent, the record fails.
 */
public final class JudgeKind extends AbstractNodeKind {
    private static final String DEFAULT_SYSTEM = "You are a careful, strict judge. You answer with one JSON object and nothing else.";
    private static final Pattern SCALE = Pattern.compile("\\s*(-?\\d{1,9})\\s*\\.\\.\\s*(-?\\d{1,9})\\s*");
    private static final Shape.Obj SHAPE = Shape.Obj.builder(null)
            .required("model", Shape.string("A model profile's name."))
            .optional("mode", Shape.oneOf(List.of("score", "aspects", "pairwise"), "score (default), aspects or pairwise."))
            .optional("rubric", Shape.string("What to judge and how, as a template over the record (score and pairwise modes)."))
            .optional("rubric_file", Shape.string("Instead of `rubric`: a template file, relative to the workflow."))
            .optional("system", Shape.string("The system message (a template); a strict-judge default otherwise."))
            .optional("system_file", Shape.string("Instead of `system`: a template file, relative to the workflow."))
            .optional("output", AnswerSchema.shape("score mode: the verdict's fields and types (default {score: integer 1..10, reason: string})."))
            .optional("aspects", Shape.mapOf(Shape.string(null), "aspects mode: aspect name: its rubric (a template)."))
            .optional("scale", Shape.string("aspects mode: the integer scale of every aspect, e.g. 1..5 (default 1..10)."))
            .optional("a", Shape.string("pairwise mode: the first response, an expression (e.g. answers.weak)."))
            .optional("b", Shape.string("pairwise mode: the second response, an expression."))
            .optional("field", Shape.string("The record field the verdict is written to (default: the node's name)."))
            .optional("retries", Shape.integer(0L, 10L, "How often an unusable answer is asked again (default 1)."))
            .build();

    public JudgeKind() {
        super("judge", 1,
                "A model grades the record with a validated verdict: a rubric score, scores per aspect, or a pairwise preference.",
                SHAPE);
    }

    @Override
    public Node configure(NodeConfig config) {
        YamlValue.Mapping y = config.yaml();
        String mode = y.get("mode") instanceof YamlValue.Scalar m ? m.text() : "score";
        ModelProfile model = config.model(y.get("model"));
        Template system = inlineOrFile(config, "system");
        String field = y.get("field") instanceof YamlValue.Scalar s ? s.text() : config.nodeName();
        int retries = y.get("retries") instanceof YamlValue.Scalar s ? ((Number) s.toPlain()).intValue() : 1; // any YAML integer form
        boolean ok = model != null && (!(y.has("system") || y.has("system_file")) || system != null);
        ok &= only(config, mode, List.of("score", "pairwise"), "rubric") & only(config, mode, List.of("score", "pairwise"), "rubric_file")
                & only(config, mode, List.of("score"), "output")
                & only(config, mode, List.of("aspects"), "aspects") & only(config, mode, List.of("aspects"), "scale")
                & only(config, mode, List.of("pairwise"), "a") & only(config, mode, List.of("pairwise"), "b");
        Asker asker = ok ? new Asker(model.name(), system, retries) : null;
        switch (mode) {
            case "aspects" -> {
                if (!(y.get("aspects") instanceof YamlValue.Mapping aspects) || aspects.entries().isEmpty()) {
                    config.problems().add(y.location(), "node '" + config.nodeName() + "': mode aspects needs `aspects:` (aspect name: rubric)");
                    return null;
                }
                long[] scale = scale(config, y.get("scale"));
                Map<String, Template> rubrics = new LinkedHashMap<>();
                aspects.entries().forEach((name, v) -> rubrics.put(name, config.template(v)));
                if (!ok || scale == null || rubrics.containsValue(null)) return null;
                return new AspectsJudge(asker, rubrics, AnswerSchema.score(scale[0], scale[1]), field);
            }
            case "pairwise" -> {
                Template rubric = required(config, "rubric") ? inlineOrFile(config, "rubric") : null;
                Expression a = required(config, "a") ? config.expression(y.get("a")) : null;
                Expression b = required(config, "b") ? config.expression(y.get("b")) : null;
                if (!ok || rubric == null || a == null || b == null) return null;
                return new PairwiseJudge(asker, rubric, a, b, field);
            }
            default -> {
                Template rubric = required(config, "rubric") ? inlineOrFile(config, "rubric") : null;
                AnswerSchema schema = y.get("output") instanceof YamlValue.Mapping m
                        ? AnswerSchema.parse(m, config.nodeName(), config.problems()) : AnswerSchema.defaultScore();
                if (!ok || rubric == null) return null;
                return new ScoreJudge(asker, rubric, schema, field);
            }
        }
    }

    private static boolean required(NodeConfig config, String key) {
        if (config.yaml().has(key)) return true;
        String mode = config.yaml().get("mode") instanceof YamlValue.Scalar m ? m.text() : "score";
        if (key.equals("rubric")) {
            if (config.yaml().has("rubric_file")) return true;
            config.problems().add(config.yaml().location(), "node '" + config.nodeName() + "': mode " + mode + " needs `rubric` or `rubric_file`");
            return false;
        }
        config.problems().add(config.yaml().location(), "node '" + config.nodeName() + "': mode " + mode + " needs `" + key + "`");
        return false;
    }

    /**
     * The template under {@code key}, or read from the file under {@code key_file}; null when
     * neither is given, or (problem reported) when both are or it does not compile.
     */
    private static Template inlineOrFile(NodeConfig config, String key) {
        YamlValue.Mapping y = config.yaml();
        String fileKey = key + "_file";
        if (y.has(key) && y.has(fileKey)) {
            config.problems().add(y.keyLocation(fileKey), "node '" + config.nodeName() + "': give `" + key + "` or `" + fileKey + "`, not both");
            return null;
        }
        if (y.has(key)) return config.template(y.get(key));
        return y.has(fileKey) ? config.templateFile(y.get(fileKey)) : null;
    }

    /** A key that belongs to other modes is a mistake worth naming, not something to ignore. */
    private static boolean only(NodeConfig config, String mode, List<String> modes, String key) {
        if (!config.yaml().has(key) || modes.contains(mode)) return true;
        config.problems().add(config.yaml().keyLocation(key), "node '" + config.nodeName() + "': `" + key + "` belongs to mode "
                + String.join(" or ", modes) + ", not " + mode);
        return false;
    }

    private static long[] scale(NodeConfig config, YamlValue v) {
        if (v == null) return new long[] {1, 10};
        Matcher m = v instanceof YamlValue.Scalar s ? SCALE.matcher(s.text()) : null;
        if (m == null || !m.matches() || Long.parseLong(m.group(1)) >= Long.parseLong(m.group(2))) {
            config.problems().add(v.location(), "node '" + config.nodeName() + "': `scale` is an integer range such as 1..5, lowest first");
            return null;
        }
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
    }

    /** Asks for a JSON verdict, showing the model what was wrong with an unusable answer. */
    private record Asker(String profile, Template system, int retries) {
        List<FieldRead> reads() {
            return system == null ? List.of() : system.reads();
        }

        Map<String, Object> verdict(StepContext ctx, String question, AnswerSchema schema) throws InterruptedException {
            List<ChatMessage> messages = List.of(ChatMessage.system(system == null ? DEFAULT_SYSTEM : ctx.render(system)), ChatMessage.user(question));
            return schema.ask(ctx, profile, messages, retries, "the judge's answer");
        }
    }

    private record ScoreJudge(Asker asker, Template rubric, AnswerSchema schema, String field) implements Node {
        public List<FieldRead> reads() {
            List<FieldRead> r = new ArrayList<>(rubric.reads());
            r.addAll(asker.reads());
            return r;
        }

        public Set<String> writes() {
            return Set.of(field);
        }

        public StepOutcome run(StepContext ctx) throws InterruptedException {
            return StepOutcome.write(field, asker.verdict(ctx, ctx.render(rubric), schema));
        }
    }

    private record AspectsJudge(Asker asker, Map<String, Template> rubrics, AnswerSchema schema, String field) implements Node {
        public List<FieldRead> reads() {
            List<FieldRead> r = new ArrayList<>(asker.reads());
            rubrics.values().forEach(t -> r.addAll(t.reads()));
            return r;
        }

        public Set<String> writes() {
            return Set.of(field);
        }

        public StepOutcome run(StepContext ctx) throws InterruptedException {
            Map<String, Object> verdicts = new LinkedHashMap<>();
            for (Map.Entry<String, Template> e : rubrics.entrySet()) {
                verdicts.put(e.getKey(), asker.verdict(ctx, "Aspect: " + e.getKey() + "\n" + ctx.render(e.getValue()), schema));
            }
            return StepOutcome.write(field, verdicts);
        }
    }

    /**
     * Asks with A and B, then with them swapped, because judges favour a position; agreeing
     * verdicts name a winner, disagreeing ones are a tie. {@code chosen}/{@code rejected} carry
     * the texts for DPO output (null on a tie).
     */
    private record PairwiseJudge(Asker asker, Template rubric, Expression a, Expression b, String field) implements Node {
        private static final AnswerSchema PICK = AnswerSchema.pick(List.of("A", "B"));

        public List<FieldRead> reads() {
            List<FieldRead> r = new ArrayList<>(rubric.reads());
            r.addAll(a.reads());
            r.addAll(b.reads());
            r.addAll(asker.reads());
            return r;
        }

        public Set<String> writes() {
            return Set.of(field);
        }

        public StepOutcome run(StepContext ctx) throws InterruptedException {
            String question = ctx.render(rubric);
            String first = text(ctx.evaluate(a));
            String second = text(ctx.evaluate(b));
            Map<String, Object> straight = asker.verdict(ctx, compare(question, first, second), PICK);
            Map<String, Object> swapped = asker.verdict(ctx, compare(question, second, first), PICK);
            String one = "A".equals(straight.get("winner")) ? "a" : "b";
            String two = "A".equals(swapped.get("winner")) ? "b" : "a"; // A was b in the swapped question
            String winner = one.equals(two) ? one : "tie";
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("winner", winner);
            out.put("chosen", winner.equals("tie") ? null : winner.equals("a") ? first : second);
            out.put("rejected", winner.equals("tie") ? null : winner.equals("a") ? second : first);
            out.put("reasons", List.of(String.valueOf(straight.get("reason")), String.valueOf(swapped.get("reason"))));
            return StepOutcome.write(field, out);
        }

        private static String compare(String question, String x, String y) {
            return question + "\n\n[Response A]\n" + x + "\n[End of response A]\n\n[Response B]\n" + y
                    + "\n[End of response B]\n\nWhich response is better? Give your reason, then the winner: A or B.";
        }

        private static String text(Object v) {
            return v == null ? "" : v.toString();
        }
    }
}
