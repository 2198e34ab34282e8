package dev.weft.yaml;

import dev.weft.workflow.Location;
import dev.weft.workflow.Problems;
import java.util.IdentityHashMap;
import java.util.Optional;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.api.lowlevel.Parse;
import org.snakeyaml.engine.v2.events.CollectionEndEvent;
import org.snakeyaml.engine.v2.events.CollectionStartEvent;
import org.snakeyaml.engine.v2.events.ScalarEvent;
import org.snakeyaml.engine.v2.events.Event;
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
import org.snakeyaml.engine.v2.schema.CoreSchema;

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
                // YAML 1.2's core schema, as YamlValue promises: `.5`, `+1` and `True` are the
                // number and the boolean a user means (the default JSON schema makes them strings).
                .setSchema(new CoreSchema())
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
            if (tooDeepOrTooLarge(settings, text, file, problems)) return Optional.empty();
            Optional<Node> composed = new Compose(settings).composeString(text);
            if (composed.isEmpty()) {
                problems.add(new Location(file, 1, 1), "the file is empty; a workflow needs `name`, `source`, `nodes` and `edges`");
                return Optional.empty();
            }
            root = composed.get();
        } catch (MarkedYamlEngineException e) {
            Location at = e.getProblemMark().map(m -> at(file, m)).orElse(new Location(file, 1, 1));
            String problem = e.getProblem() == null ? e.getMessage() : e.getProblem().replaceFirst("but got (\\S+)$", "but found '$1'");
            if (problem != null && problem.contains("\\t(TAB)")) {
                problems.add(at, "YAML syntax error: a tab is used for indentation; YAML indents with spaces only, replace the tab with spaces");
                return Optional.empty();
            }
            // The context mark is where the unfinished construct began, often the line to fix
            // (an unclosed `{` or quote), while the problem mark is where the parser gave up.
            String started = e.getContextMark().filter(m -> m.getLine() != at.line() - 1)
                    .map(m -> " that starts at line " + (m.getLine() + 1) + ", column " + (m.getColumn() + 1)).orElse("");
            String context = e.getContext() == null ? "" : " (" + e.getContext() + started + ")";
            problems.add(at, "YAML syntax error: " + problem + context);
            return Optional.empty();
        } catch (YamlEngineException e) {
            problems.add(new Location(file, 1, 1), "YAML error: " + firstLine(e.getMessage()));
            return Optional.empty();
        } catch (StackOverflowError e) {
            problems.add(new Location(file, 1, 1), "YAML nesting is too deep (more than " + MAX_DEPTH + " levels)");
            return Optional.empty();
        } catch (RuntimeException e) {
            // The YAML library failed on input it should have rejected (seen: a lone surrogate).
            problems.add(new Location(file, 1, 1), "unreadable YAML (" + e.getClass().getSimpleName() + "); check the file's encoding and syntax");
            return Optional.empty();
        }
        Converter converter = new Converter(file, problems);
        try {
            return Optional.ofNullable(converter.convert(root, 0));
        } catch (TooLarge e) {
            return Optional.empty();
        }
    }

    /**
     * Refuses a document nested deeper than {@link #MAX_DEPTH} or holding more than
     * {@link #MAX_NODES} values before composing it: composing recurses once per level (a deep
     * enough document would overflow the stack) and builds every node (a huge one costs seconds),
     * while the parser's events come from a loop, so this pass is cheap and safe on any input.
     */
    private static boolean tooDeepOrTooLarge(LoadSettings settings, String text, String file, Problems problems) {
        int depth = 0;
        int values = 0;
        for (Event e : new Parse(settings).parseString(text)) {
            if (e instanceof CollectionStartEvent && ++depth > MAX_DEPTH) {
                problems.add(e.getStartMark().map(m -> at(file, m)).orElse(new Location(file, 1, 1)),
                        "YAML nesting is too deep (more than " + MAX_DEPTH + " levels); a workflow needs only a few");
                return true;
            }
            if (e instanceof CollectionEndEvent) depth--;
            if ((e instanceof CollectionStartEvent || e instanceof ScalarEvent) && ++values > MAX_NODES) {
                problems.add(e.getStartMark().map(m -> at(file, m)).orElse(new Location(file, 1, 1)),
                        "the YAML holds more than " + MAX_NODES + " values; a workflow file should hold the graph, put data in the source file");
                return true;
            }
        }
        return false;
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
        private final IdentityHashMap<Node, Boolean> seen = new IdentityHashMap<>();
        /** Where the first anchor expanded a second time was defined; null while there is none. */
        private Location aliased;
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
                problems.add(aliased != null ? aliased : loc(node), aliased != null
                        ? "the YAML's aliases (*name) expand to more than " + MAX_NODES + " values, as in a 'billion laughs'"
                                + " attack; refusing to read it. A workflow needs no such size: write the values out"
                        : "the YAML holds more than " + MAX_NODES + " values; a workflow file should hold the graph, put data in the source file");
                throw new TooLarge();
            }
            // A node met again is an alias's target being expanded once more.
            if (seen.put(node, Boolean.TRUE) != null && aliased == null) aliased = loc(node);
            if (depth > MAX_DEPTH) {
                problems.add(loc(node), "YAML nesting is too deep (more than " + MAX_DEPTH + " levels)");
                throw new TooLarge();
            }
            if (onPath.put(node, Boolean.TRUE) != null) {
                problems.add(loc(node), "a YAML alias refers to itself; recursive structures are not allowed");
                throw new TooLarge();
            }
            if (!(node instanceof ScalarNode) && !Tag.MAP.equals(node.getTag()) && !Tag.SEQ.equals(node.getTag())) {
                problems.add(loc(node), refusedTag(node.getTag()));
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
                            + "); YAML would silently keep only the last one, so rename or remove one of them");
                    continue;
                }
                out.put(key, loc(k), convert(t.getValueNode(), depth + 1));
            }
            return out;
        }

        /** Names a tag as the user wrote it ({@code !!java.lang.Runtime}, not its tag:yaml.org URI). */
        private static String refusedTag(Tag tag) {
            String t = tag.getValue();
            String shown = t.startsWith(Tag.PREFIX) ? "!!" + t.substring(Tag.PREFIX.length()) : t;
            return "YAML tag " + shown + " is not allowed; workflows use plain values only, remove the tag";
        }

        private static boolean parses(String text, YamlValue.ScalarType type) {
            try {
                new YamlValue.Scalar(text, type, false, false, null).toPlain();
                return true;
            } catch (NumberFormatException e) {
                return false;
            }
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
                problems.add(loc(s), refusedTag(tag));
                type = YamlValue.ScalarType.STRING;
            }
            if ((type == YamlValue.ScalarType.INTEGER || type == YamlValue.ScalarType.FLOAT) && !parses(s.getValue(), type)) {
                // Only an explicit tag (`!!int x`) gets here: the core schema tags numbers it can read.
                problems.add(loc(s), "'" + s.getValue() + "' is tagged " + tag + " but is not " + (type == YamlValue.ScalarType.INTEGER
                        ? "an integer" : "a number") + "; remove the tag or fix the value");
                type = YamlValue.ScalarType.STRING;
            }
            ScalarStyle style = s.getScalarStyle();
            boolean block = style == ScalarStyle.LITERAL || style == ScalarStyle.FOLDED;
            boolean quoted = style == ScalarStyle.SINGLE_QUOTED || style == ScalarStyle.DOUBLE_QUOTED;
            return new YamlValue.Scalar(s.getValue(), type, block, quoted, loc(s));
        }
    }
}
