package dev.weft.yaml;

import dev.weft.workflow.Location;
import dev.weft.workflow.Problems;
import java.util.IdentityHashMap;
import java.util.Optional;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * Reads YAML safely into a {@link YamlValue} tree: only the node graph is composed (no object is
 * ever constructed from a tag), aliases and size are limited, and duplicate keys are reported
 * at their place instead of silently keeping the last one. Thread-safe (stateless).
 */
public final class YamlReader {
    /** Large enough for any hand-written workflow, small enough to refuse a generated bomb fast. */
    public static final int MAX_CODE_POINTS = 3 * 1024 * 1024;
    public static final int MAX_ALIASES = 100;
    public static final int MAX_DEPTH = 64;
    /** Alias expansion is bounded by counting every node we would build, shared ones included. */
    public static final int MAX_NODES = 200_000;

    /** Returns the document's root, or empty with the reason added to {@code problems}. */
    public Optional<YamlValue> read(String text, String file, Problems problems) {
        LoadSettings settings = LoadSettings.builder()
                .setLabel(file)
                .setAllowDuplicateKeys(true) // we report them ourselves, each at its line
                .setAllowRecursiveKeys(false)
                .setMaxAliasesForCollections(MAX_ALIASES)
                .setCodePointLimit(MAX_CODE_POINTS)
                .build();
        if (text.length() > MAX_CODE_POINTS) {
            problems.add(new Location(file, 1, 1), "the file is larger than " + MAX_CODE_POINTS / 1024 / 1024
                    + " MiB; a workflow file should hold the graph, put data in the source file");
            return Optional.empty();
        }
        Node root;
        try {
            Optional<Node> composed = new Compose(settings).composeString(text);
            if (composed.isEmpty()) {
                problems.add(new Location(file, 1, 1), "the file is empty; a workflow needs at least `name` and `nodes`");
                return Optional.empty();
            }
            root = composed.get();
        } catch (MarkedYamlEngineException e) {
            Location at = e.getProblemMark().map(m -> at(file, m)).orElse(new Location(file, 1, 1));
            String problem = e.getProblem() == null ? e.getMessage() : e.getProblem();
            String context = e.getContext() == null ? "" : " (" + e.getContext() + ")";
            problems.add(at, "YAML syntax error: " + problem + context);
            return Optional.empty();
        } catch (YamlEngineException e) {
            problems.add(new Location(file, 1, 1), "YAML error: " + firstLine(e.getMessage()));
            return Optional.empty();
        } catch (StackOverflowError e) {
            problems.add(new Location(file, 1, 1), "YAML nesting is too deep (more than " + MAX_DEPTH + " levels)");
            return Optional.empty();
        }
        Converter converter = new Converter(file, problems);
        try {
            return Optional.ofNullable(converter.convert(root, 0));
        } catch (TooLarge e) {
            return Optional.empty();
        }
    }

    private static String firstLine(String s) {
        if (s == null) return "unreadable YAML";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    static Location at(String file, Mark mark) {
        return new Location(file, mark.getLine() + 1, mark.getColumn() + 1);
    }

    private static final class TooLarge extends RuntimeException {
        TooLarge() {
            super(null, null, false, false);
        }
    }

    private static final class Converter {
        private final String file;
        private final Problems problems;
        private final IdentityHashMap<Node, Boolean> onPath = new IdentityHashMap<>();
        private int built;

        Converter(String file, Problems problems) {
            this.file = file;
            this.problems = problems;
        }

        private Location loc(Node n) {
            return n.getStartMark().map(m -> at(file, m)).orElse(new Location(file, 1, 1));
        }

        YamlValue convert(Node node, int depth) {
            if (++built > MAX_NODES) {
                problems.add(loc(node), "the YAML expands to more than " + MAX_NODES
                        + " values (alias expansion?); refusing to read it");
                throw new TooLarge();
            }
            if (depth > MAX_DEPTH) {
                problems.add(loc(node), "YAML nesting is too deep (more than " + MAX_DEPTH + " levels)");
                throw new TooLarge();
            }
            if (onPath.put(node, Boolean.TRUE) != null) {
                problems.add(loc(node), "a YAML alias refers to itself; recursive structures are not allowed");
                throw new TooLarge();
            }
            if (!(node instanceof ScalarNode) && !Tag.MAP.equals(node.getTag()) && !Tag.SEQ.equals(node.getTag())) {
                problems.add(loc(node), "YAML tag " + node.getTag() + " is not allowed; workflows use plain values only");
            }
            try {
                return switch (node) {
                    case ScalarNode s -> scalar(s);
                    case SequenceNode s -> {
                        var seq = new YamlValue.Sequence(new java.util.ArrayList<>(), loc(s));
                        for (Node item : s.getValue()) seq.items().add(convert(item, depth + 1));
                        yield seq;
                    }
                    case MappingNode m -> mapping(m, depth);
                    default -> {
                        problems.add(loc(node), "unsupported YAML node");
                        throw new TooLarge();
                    }
                };
            } finally {
                onPath.remove(node);
            }
        }

        private YamlValue.Mapping mapping(MappingNode m, int depth) {
            var out = new YamlValue.Mapping(loc(m));
            for (NodeTuple t : m.getValue()) {
                Node k = t.getKeyNode();
                if (!(k instanceof ScalarNode ks)) {
                    problems.add(loc(k), "a key must be a plain name, not " + (k instanceof MappingNode ? "a mapping" : "a list"));
                    continue;
                }
                String key = ks.getValue();
                if (out.has(key)) {
                    Location first = out.keyLocation(key);
                    problems.add(loc(k), "duplicate key '" + key + "' (first at line " + first.line()
                            + "); YAML would silently keep only the last one");
                    continue;
                }
                out.put(key, loc(k), convert(t.getValueNode(), depth + 1));
            }
            return out;
        }

        private YamlValue.Scalar scalar(ScalarNode s) {
            Tag tag = s.getTag();
            YamlValue.ScalarType type;
            if (Tag.NULL.equals(tag)) type = YamlValue.ScalarType.NULL;
            else if (Tag.BOOL.equals(tag)) type = YamlValue.ScalarType.BOOLEAN;
            else if (Tag.INT.equals(tag)) type = YamlValue.ScalarType.INTEGER;
            else if (Tag.FLOAT.equals(tag)) type = YamlValue.ScalarType.FLOAT;
            else if (Tag.STR.equals(tag)) type = YamlValue.ScalarType.STRING;
            else {
                problems.add(loc(s), "YAML tag " + tag + " is not allowed; workflows use plain values only");
                type = YamlValue.ScalarType.STRING;
            }
            ScalarStyle style = s.getScalarStyle();
            boolean block = style == ScalarStyle.LITERAL || style == ScalarStyle.FOLDED;
            boolean quoted = style == ScalarStyle.SINGLE_QUOTED || style == ScalarStyle.DOUBLE_QUOTED;
            return new YamlValue.Scalar(s.getValue(), type, block, quoted, loc(s));
        }
    }
}
