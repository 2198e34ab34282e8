package dev.weft.yaml;

import dev.weft.workflow.Problems;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.text.similarity.LevenshteinDistance;

/**
 * Checks a {@link YamlValue} against a {@link Shape} and reports every mismatch with its place.
 * Thread-safe (stateless).
 */
public final class ShapeChecker {
    private static final LevenshteinDistance DISTANCE = new LevenshteinDistance(3);

    /**
     * @param what how to name the value in messages, e.g. "node 'answer'"
     * @return true if no problem was found
     */
    public boolean check(YamlValue value, Shape shape, String what, Problems problems) {
        int before = problems.size();
        visit(value, shape, what, "", problems);
        return problems.size() == before;
    }

    /**
     * Names a value for messages as its key path, which the user can find in the file:
     * "`models.writer.temperature`" at the top, "node 'ask' `prompt.user`" inside a node.
     */
    private static String name(String what, String path) {
        if (path.isEmpty()) return what;
        return what.equals(WORKFLOW) ? "`" + path + "`" : what + " `" + path + "`";
    }

    /** The {@code what} that names the whole workflow; its keys are then named by path alone. */
    public static final String WORKFLOW = "the workflow";

    private static String child(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private void visit(YamlValue value, Shape shape, String what, String path, Problems problems) {
        String named = name(what, path);
        switch (shape) {
            case Shape.Anything a -> { }
            case Shape.Text t -> {
                if (!(value instanceof YamlValue.Scalar s) || s.type() == YamlValue.ScalarType.NULL) mismatch(value, shape, named, problems);
            }
            case Shape.Bool b -> {
                if (!(value instanceof YamlValue.Scalar s) || s.type() != YamlValue.ScalarType.BOOLEAN) mismatch(value, shape, named, problems);
            }
            case Shape.Int i -> {
                if (!(value instanceof YamlValue.Scalar s) || s.type() != YamlValue.ScalarType.INTEGER) {
                    mismatch(value, shape, named, problems);
                } else {
                    long v = ((Number) s.toPlain()).longValue();
                    if ((i.min() != null && v < i.min()) || (i.max() != null && v > i.max())) mismatch(value, shape, named, problems);
                }
            }
            case Shape.Num n -> {
                if (!(value instanceof YamlValue.Scalar s) || !s.isNumber()) {
                    mismatch(value, shape, named, problems);
                } else {
                    double v = ((Number) s.toPlain()).doubleValue();
                    if ((n.min() != null && v < n.min()) || (n.max() != null && v > n.max())) mismatch(value, shape, named, problems);
                }
            }
            case Shape.Choice c -> {
                if (!(value instanceof YamlValue.Scalar s) || !c.values().contains(s.text())) {
                    String found = value instanceof YamlValue.Scalar s ? "'" + s.text() + "'" : value.describe();
                    String hint = value instanceof YamlValue.Scalar s ? nearest(s.text(), c.values()).map(n -> "; did you mean '" + n + "'?").orElse("") : "";
                    problems.add(value.location(), named + " must be " + c.expected() + ", found " + found + hint);
                }
            }
            case Shape.ListOf l -> {
                if (!(value instanceof YamlValue.Sequence seq)) {
                    mismatch(value, shape, named, problems);
                } else {
                    for (int k = 0; k < seq.items().size(); k++) visit(seq.items().get(k), l.item(), what, path + "[" + (k + 1) + "]", problems);
                }
            }
            case Shape.MapOf m -> {
                if (!(value instanceof YamlValue.Mapping map)) {
                    mismatch(value, shape, named, problems);
                } else {
                    map.entries().forEach((k, v) -> visit(v, m.value(), what, child(path, k), problems));
                }
            }
            case Shape.Either e -> {
                Shape pick = null;
                for (Shape alt : e.alternatives()) {
                    if (sameKind(value, alt)) {
                        pick = alt;
                        break;
                    }
                }
                if (pick == null) mismatch(value, shape, named, problems);
                else visit(value, pick, what, path, problems);
            }
            case Shape.Obj o -> {
                if (!(value instanceof YamlValue.Mapping map)) {
                    mismatch(value, shape, named, problems);
                    return;
                }
                java.util.Set<String> suggested = new java.util.HashSet<>();
                for (Map.Entry<String, YamlValue> en : map.entries().entrySet()) {
                    Shape.Field f = o.fields().get(en.getKey());
                    if (f == null) {
                        Optional<String> near = nearest(en.getKey(), o.fields().keySet());
                        near.ifPresent(suggested::add);
                        String hint = near.map(n -> "; did you mean '" + n + "'?")
                                .orElse("; known keys: " + String.join(", ", o.fields().keySet()));
                        problems.add(map.keyLocation(en.getKey()), "unknown key '" + en.getKey() + "' in " + named + hint);
                    } else {
                        visit(en.getValue(), f.shape(), what, child(path, en.getKey()), problems);
                    }
                }
                o.fields().forEach((k, f) -> {
                    // A misspelt key already says "did you mean"; "needs" would only repeat it.
                    if (f.required() && !map.has(k) && !suggested.contains(k)) problems.add(map.location(), named + " needs `" + k + "`");
                });
            }
        }
    }

    /** Whether a value's YAML kind (scalar type, list, mapping) fits a shape, ignoring details. */
    public static boolean sameKind(YamlValue value, Shape shape) {
        return switch (shape) {
            case Shape.Anything a -> true;
            case Shape.Text t -> value instanceof YamlValue.Scalar s && s.type() != YamlValue.ScalarType.NULL;
            case Shape.Choice c -> value instanceof YamlValue.Scalar;
            case Shape.Bool b -> value instanceof YamlValue.Scalar s && s.type() == YamlValue.ScalarType.BOOLEAN;
            case Shape.Int i -> value instanceof YamlValue.Scalar s && s.type() == YamlValue.ScalarType.INTEGER;
            case Shape.Num n -> value instanceof YamlValue.Scalar s && s.isNumber();
            case Shape.ListOf l -> value instanceof YamlValue.Sequence;
            case Shape.MapOf m -> value instanceof YamlValue.Mapping;
            case Shape.Obj o -> value instanceof YamlValue.Mapping;
            case Shape.Either e -> e.alternatives().stream().anyMatch(a -> sameKind(value, a));
        };
    }

    private static void mismatch(YamlValue value, Shape shape, String what, Problems problems) {
        String found = value instanceof YamlValue.Scalar s && s.type() != YamlValue.ScalarType.NULL
                ? value.describe() + " '" + abbreviate(s.text()) + "'" : value.describe();
        problems.add(value.location(), what + " must be " + shape.expected() + ", found " + found);
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 37) + "..." : s;
    }

    /** Whether two neighbouring letters of {@code a} swapped give {@code b}, the commonest typo (one edit, not two). */
    private static boolean swapped(String a, String b) {
        if (a.length() != b.length()) return false;
        for (int i = 0; i + 1 < a.length(); i++) {
            if (a.charAt(i) != b.charAt(i)) {
                return a.charAt(i) == b.charAt(i + 1) && a.charAt(i + 1) == b.charAt(i) && a.substring(i + 2).equals(b.substring(i + 2));
            }
        }
        return false;
    }

    /** The known name closest to a misspelt one, if it is close enough to be a likely typo. */
    public static Optional<String> nearest(String name, Iterable<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            int d = swapped(name.toLowerCase(), k.toLowerCase()) ? 1 : DISTANCE.apply(name.toLowerCase(), k.toLowerCase());
            // Longer names leave room for more slips: "answr" and "writter" are one edit away, "trasnform" two.
            int allowed = k.length() <= 4 ? 1 : k.length() <= 8 ? 2 : 3;
            // On a tie, the name of closer length wins.
            boolean better = d < bestDistance || (d == bestDistance && best != null
                    && Math.abs(k.length() - name.length()) < Math.abs(best.length() - name.length()));
            if (d >= 0 && better && d <= allowed) {
                best = k;
                bestDistance = d;
            }
        }
        return Optional.ofNullable(best);
    }

}
