package dev.weft.workflow;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.weft.graph.GraphChecker;
import dev.weft.model.ModelProfile;
import dev.weft.source.SourceFields;
import dev.weft.spi.Node;
import dev.weft.spi.NodeConfig;
import dev.weft.spi.NodeKind;
import dev.weft.template.Expression;
import dev.weft.template.Template;
import dev.weft.template.TemplateEngine;
import dev.weft.template.TextOrigin;
import dev.weft.yaml.Shape;
import dev.weft.yaml.ShapeChecker;
import dev.weft.yaml.YamlReader;
import dev.weft.yaml.YamlValue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import dev.weft.internal.Digests;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a workflow file into a checked {@link Workflow}, or throws
 * {@link InvalidWorkflowException} with every problem found, each at its file:line:col.
 * Thread-safe: every call works on its own state.
 */
public final class WorkflowLoader {
    private static final ObjectMapper CANONICAL = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
    private static final Pattern OVERRIDE = Pattern.compile("([A-Za-z0-9_.\\-]+)=(.*)", Pattern.DOTALL);
    /** Workflow and prompt files are hand-written text; anything larger is a mistake (or an attack). */
    private static final long MAX_FILE_BYTES = 4L * 1024 * 1024;
    private final NodeKinds kinds;
    private final TemplateEngine templates;
    private final ShapeChecker checker = new ShapeChecker();

    public WorkflowLoader(NodeKinds kinds, TemplateEngine templates) {
        this.kinds = kinds;
        this.templates = templates;
    }

    public NodeKinds kinds() {
        return kinds;
    }

    public Workflow load(Path file, Overrides overrides) {
        return new Session(file, file.toString(), Map.of(), overrides, null, Set.of(), null).load();
    }

    /** Loads from a run's bundle (files as they were when the run started), e.g. to resume it. */
    public Workflow load(Path file, Map<String, String> bundle, Overrides overrides) {
        return new Session(file, file.toString(), bundle, overrides, null, Set.of(), null).load();
    }

    private final class Session {
        private final Path file;
        private final String label;
        private final Map<String, String> given;
        private final Overrides overrides;
        private final Problems problems = new Problems();
        private final TreeMap<String, String> bundle = new TreeMap<>();
        /** Bundle keys that hold a node's description of files it reads (see {@link NodeConfig#kept}), not a file's text. */
        private final Set<String> keptKeys = new java.util.HashSet<>();
        private String text;
        /** Every node name written under `nodes`, including nodes that failed their own checks. */
        private Set<String> declared = Set.of();
        /** For a workflow loaded as another's tool: the fields its records bring (else null: its source's). */
        private final Set<String> inputs;
        /** The workflow files being loaded, outermost first: a workflow cannot use itself as a tool. */
        private final Set<Path> loading;
        /** Model profiles of workflows this one runs (as tools or nodes): they join this workflow's. */
        private final Map<String, ModelProfile> nestedModels = new LinkedHashMap<>();
        /** For a workflow a node runs: that node's `overrides` (in the calling file), applied after reading; else null. */
        private final NodeOverrides nodeOverrides;

        Session(Path file, String label, Map<String, String> given, Overrides overrides, Set<String> inputs, Set<Path> loading,
                NodeOverrides nodeOverrides) {
            this.file = file;
            this.nodeOverrides = nodeOverrides;
            this.label = label;
            this.given = given;
            this.overrides = overrides;
            this.inputs = inputs;
            Set<Path> l = new java.util.LinkedHashSet<>(loading);
            l.add(file.toAbsolutePath().normalize());
            this.loading = l;
        }

        Workflow load() {
            text = readFile(file, Location.of(label), "workflow file");
            if (text == null) problems.throwIfAny();
            Optional<YamlValue> parsed = new YamlReader().read(text, label, problems);
            if (parsed.isEmpty()) problems.throwIfAny();
            YamlValue root = parsed.get();
            if (!(root instanceof YamlValue.Mapping top)) {
                problems.add(root.location(), "a workflow is a mapping with `name`, `source`, `nodes` and `edges`; found " + root.describe());
                throw new InvalidWorkflowException(problems.list());
            }
            applyOverrides(top);
            if (nodeOverrides != null) nodeOverrides.values().entries().forEach((path, value) -> applyNodeOverride(top, path, value));
            checker.check(top, Language.WORKFLOW, "the workflow", problems);
            // Keep going after shape problems: later checks find more, and each guards its own input.
            String name = str(top.get("name"), "workflow");
            String description = str(top.get("description"), "");
            long seed = top.get("seed") instanceof YamlValue.Scalar s && s.type() == YamlValue.ScalarType.INTEGER
                    ? ((Number) s.toPlain()).longValue() : 0L;
            Map<String, ModelProfile> models = models(top.get("models"));
            SourceDef source = top.get("source") instanceof YamlValue.Mapping m ? source(m) : null;
            Map<String, NodeDef> nodes = nodes(top.get("nodes"), models);
            List<EdgeDef> edges = edges(top.get("edges"), nodes);
            SinkDef sink = top.get("sink") instanceof YamlValue.Mapping m ? sink(m) : null;
            if (!problems.isEmpty()) problems.throwIfAny();

            Set<String> sourceFields = inputs != null ? inputs
                    : SourceFields.of(source, source == null || source.generate() != null ? null : kinds.sourceFormat(source.format()), problems);
            String start = GraphChecker.check(nodes, edges, sink, sourceFields, problems, top.keyLocation("nodes"));
            problems.throwIfAny();
            nestedModels.forEach(models::putIfAbsent); // this workflow's own profile wins a shared name
            return new Workflow(name, description, file, seed, models, source, nodes, edges, sink, start,
                    Map.copyOf(bundle), hash(bundle));
        }

        // ---- files

        private String readFile(Path path, Location at, String what) {
            String key = path.toAbsolutePath().normalize().toString();
            if (keptKeys.contains(key)) {
                problems.add(at, what + " " + shown(path) + " is also a node's corpus; give each its own file");
                return null;
            }
            String content = given.get(key);
            if (content == null) {
                try {
                    // A device or pipe (/dev/zero, a FIFO) would never end; a huge file is no prompt.
                    Location top = at.line() == 0 ? new Location(at.file(), 1, 1) : at;
                    if (Files.exists(path) && !Files.isRegularFile(path)) {
                        problems.add(top, what + " " + shown(path) + " is not a regular file");
                        return null;
                    }
                    if (Files.exists(path) && Files.size(path) > MAX_FILE_BYTES) {
                        problems.add(top, what + " " + shown(path) + " is larger than " + MAX_FILE_BYTES / (1024 * 1024) + " MiB");
                        return null;
                    }
                    content = Files.readString(path, StandardCharsets.UTF_8);
                } catch (NoSuchFileException e) {
                    problems.add(at, what + " not found: " + shown(path) + (path.equals(file) ? "" : " (paths are relative to the workflow file)"));
                    return null;
                } catch (java.nio.charset.MalformedInputException e) {
                    problems.add(at, what + " " + shown(path) + " is not UTF-8 text");
                    return null;
                } catch (IOException e) {
                    problems.add(at, "cannot read " + what + " " + shown(path) + ": " + e.getMessage());
                    return null;
                }
            }
            bundle.put(key, content);
            return content;
        }

        /** Where a scalar's text begins: after a quote, or on the line below a block indicator. */
        private Location textStart(YamlValue.Scalar s) {
            return TextOrigin.ofScalar(s, s.location().file().equals(label) ? text : null).locate(1, 1);
        }

        /** A path in a message, as the user can find it from where they named the workflow file. */
        private String shown(Path p) {
            return p.equals(file) ? label : displayPath(p);
        }

        /** A path relative to the workflow file; null (with a problem at {@code at}) if it is no valid path. */
        private Path relative(String p, Location at) {
            try {
                Path dir = file.toAbsolutePath().getParent();
                return dir == null ? Path.of(p) : dir.resolve(p).normalize();
            } catch (java.nio.file.InvalidPathException e) {
                problems.add(at, "'" + p.replace("\0", "\\0") + "' is not a valid file path: " + e.getReason());
                return null;
            }
        }

        // ---- overrides

        private void applyOverrides(YamlValue.Mapping top) {
            for (String s : overrides.sets()) applyOverride(top, s, "--set " + s, "");
            for (String m : overrides.models()) applyOverride(top, m, "--model " + m, "models.");
        }

        private void applyOverride(YamlValue.Mapping top, String spec, String described, String prefix) {
            Location at = Location.of(described);
            Matcher matcher = OVERRIDE.matcher(spec);
            if (!matcher.matches()) {
                problems.add(at, "expected path=value, e.g. " + (prefix.isEmpty() ? "--set source.path=data/other.jsonl"
                        : "--model writer.base_url=http://127.0.0.1:8000/v1"));
                return;
            }
            String[] path = (prefix + matcher.group(1)).split("\\.", -1);
            if (java.util.Arrays.stream(path).anyMatch(String::isEmpty)) {
                problems.add(at, "the path before '=' names keys separated by dots, e.g. " + (prefix.isEmpty()
                        ? "--set source.path=data/other.jsonl" : "--model writer.base_url=http://127.0.0.1:8000/v1"));
                return;
            }
            if (!prefix.isEmpty()) {
                if (path.length != 3) {
                    problems.add(at, "expected PROFILE.key=value, e.g. --model writer.temperature=0.2");
                    return;
                }
                if (!(top.get("models") instanceof YamlValue.Mapping models) || !models.has(path[1])) {
                    problems.add(at, "no model profile '" + path[1] + "' in the workflow");
                    return;
                }
            }
            YamlValue.Mapping parent = top;
            for (int i = 0; i < path.length - 1; i++) {
                YamlValue next = parent.get(path[i]);
                if (next == null) {
                    YamlValue.Mapping created = new YamlValue.Mapping(at);
                    parent.put(path[i], at, created);
                    parent = created;
                } else if (next instanceof YamlValue.Mapping m) {
                    parent = m;
                } else {
                    problems.add(at, "'" + String.join(".", java.util.Arrays.copyOf(path, i + 1)) + "' is " + next.describe()
                            + ", not a mapping, so it has no '" + path[i + 1] + "'");
                    return;
                }
            }
            Problems local = new Problems();
            Optional<YamlValue> value = new YamlReader().read(matcher.group(2).isEmpty() ? "''" : matcher.group(2), described, local);
            if (value.isEmpty() || !(value.get() instanceof YamlValue.Scalar s)) {
                // Not a scalar: take the text as it is.
                value = Optional.of(new YamlValue.Scalar(matcher.group(2), YamlValue.ScalarType.STRING, false, false, at));
            } else {
                value = Optional.of(new YamlValue.Scalar(s.text(), s.type(), false, false, at));
            }
            String last = path[path.length - 1];
            parent.entries().put(last, value.get());
            parent.keys().put(last, at);
        }

        /**
         * One entry of a workflow node's `overrides`: a dotted path into this workflow and its new
         * value, as written in the calling file (problems are placed there). Every key but the last
         * must exist; the last may be new, and the shape check then says whether it may stand there.
         */
        private void applyNodeOverride(YamlValue.Mapping top, String path, YamlValue value) {
            Location at = nodeOverrides.values().keyLocation(path);
            String about = "node '" + nodeOverrides.node() + "': `overrides` path '" + path + "'";
            String[] keys = path.split("\\.", -1);
            if (java.util.Arrays.stream(keys).anyMatch(String::isEmpty)) {
                problems.add(at, about + ": a path names keys separated by dots, e.g. nodes.grade.rubric");
                return;
            }
            YamlValue.Mapping parent = top;
            for (int i = 0; i < keys.length - 1; i++) {
                String where = i == 0 ? "workflow " + label : "'" + String.join(".", java.util.Arrays.copyOf(keys, i)) + "' in workflow " + label;
                YamlValue next = parent.get(keys[i]);
                if (next == null) {
                    Set<String> known = parent.entries().keySet();
                    problems.add(at, about + ": " + where + " has no '" + keys[i] + "'" + ShapeChecker.nearest(keys[i], known)
                            .map(n -> "; did you mean '" + n + "'?").orElse(known.isEmpty() ? "" : " (it has: " + String.join(", ", known) + ")"));
                    return;
                }
                if (!(next instanceof YamlValue.Mapping m)) {
                    problems.add(at, about + ": '" + String.join(".", java.util.Arrays.copyOf(keys, i + 1)) + "' in workflow " + label
                            + " is " + next.describe() + ", not a mapping, so it has no '" + keys[i + 1] + "'");
                    return;
                }
                parent = m;
            }
            String last = keys[keys.length - 1];
            parent.entries().put(last, copy(value)); // a copy: a later path may change it, and it is the calling file's
            parent.keys().put(last, at);
        }

        private static YamlValue copy(YamlValue v) {
            return switch (v) {
                case YamlValue.Scalar s -> s;
                case YamlValue.Sequence q -> new YamlValue.Sequence(new ArrayList<>(q.items().stream().map(Session::copy).toList()), q.location());
                case YamlValue.Mapping m -> {
                    YamlValue.Mapping c = new YamlValue.Mapping(new LinkedHashMap<>(), new LinkedHashMap<>(m.keys()), m.location());
                    m.entries().forEach((k, x) -> c.entries().put(k, copy(x)));
                    yield c;
                }
            };
        }

        // ---- sections

        private Map<String, ModelProfile> models(YamlValue v) {
            Map<String, ModelProfile> out = new LinkedHashMap<>();
            if (!(v instanceof YamlValue.Mapping m)) return out;
            m.entries().forEach((name, value) -> {
                if (!(value instanceof YamlValue.Mapping p)) return;
                try {
                    var price = p.get("price_per_1k") instanceof YamlValue.Mapping pm ? pm : new YamlValue.Mapping(p.location());
                    out.put(name, new ModelProfile(name, str(p.get("provider"), "openai"), str(p.get("model"), "?"),
                            str(p.get("base_url"), null), str(p.get("api_key_env"), null),
                            dbl(p.get("temperature")), dbl(p.get("top_p")), integer(p.get("max_tokens")), integer(p.get("seed")),
                            Optional.ofNullable(integer(p.get("max_concurrency"))).orElse(32),
                            integer(p.get("requests_per_minute")), integer(p.get("tokens_per_minute")),
                            duration(p.get("timeout"), "`models." + name + ".timeout`"),
                            Optional.ofNullable(integer(p.get("max_retries"))).orElse(5),
                            duration(p.get("retry_delay"), "`models." + name + ".retry_delay`"),
                            Optional.ofNullable(dbl(price.get("input"))).orElse(0.0),
                            Optional.ofNullable(dbl(price.get("output"))).orElse(0.0),
                            m.keyLocation(name)));
                } catch (IllegalArgumentException e) {
                    problems.add(m.keyLocation(name), "model '" + name + "': " + e.getMessage());
                }
                if (p.get("base_url") instanceof YamlValue.Scalar b && "openai".equals(str(p.get("provider"), ""))
                        && !b.text().replaceAll("/+$", "").endsWith("/v1")) {
                    problems.add(b.location(), "model '" + name + "': base_url of an OpenAI-compatible server ends in /v1, e.g. "
                            + b.text().replaceAll("/+$", "") + "/v1");
                }
            });
            return out;
        }

        private SourceDef source(YamlValue.Mapping m) {
            boolean hasPath = m.has("path");
            boolean hasGenerate = m.has("generate");
            if (hasPath && hasGenerate) {
                problems.add(m.keyLocation("generate"), "the source has both `path` and `generate`; keep `path` to read a data file"
                        + " or `generate` for that many empty records, not both");
                return null;
            }
            if (!hasPath && !hasGenerate) {
                problems.add(m.location(), "the source needs either `path` (a data file) or `generate` (a number of empty records)");
                return null;
            }
            String id = str(m.get("id"), null);
            if (hasGenerate) {
                Integer n = integer(m.get("generate"));
                return n == null ? null : new SourceDef(null, null, id, n.longValue(), m.location());
            }
            String p = str(m.get("path"), null);
            if (p == null) return null;
            Path path = relative(p, m.get("path").location());
            if (path == null) return null;
            String format = str(m.get("format"), null);
            if (format != null && kinds.sourceFormat(format) == null) {
                problems.add(m.get("format").location(), "`source.format` must be " + oneOf(kinds.sourceFormats().keySet()) + ", found '"
                        + format + "'" + ShapeChecker.nearest(format, kinds.sourceFormats().keySet()).map(n -> "; did you mean '" + n + "'?").orElse(""));
                return null;
            }
            if (format == null) {
                var byExtension = kinds.sourceFormatFor(p);
                if (byExtension == null) {
                    List<String> names = List.copyOf(kinds.sourceFormats().keySet());
                    String choices = names.size() == 1 ? "`format: " + names.get(0) + "`" : "`format: " + names.get(0) + "`"
                            + names.subList(1, names.size() - 1).stream().map(n -> ", `" + n + "`").reduce("", String::concat)
                            + " or `" + names.get(names.size() - 1) + "`";
                    problems.add(m.get("path").location(), "cannot tell the source format from '" + p + "'; add " + choices);
                    return null;
                }
                format = byExtension.name();
            }
            if (!Files.isRegularFile(path)) {
                problems.add(m.get("path").location(), "source file not found: " + shown(path) + " (paths are relative to the workflow file)");
                return null;
            }
            return new SourceDef(path, format, id, null, m.location());
        }

        private SinkDef sink(YamlValue.Mapping m) {
            String p = str(m.get("path"), null);
            if (p == null) return null;
            String format = str(m.get("format"), "raw");
            if (kinds.format(format) == null) {
                problems.add(m.get("format").location(), "`sink.format` must be " + oneOf(kinds.formats().keySet()) + ", found '" + format + "'"
                        + ShapeChecker.nearest(format, kinds.formats().keySet()).map(n -> "; did you mean '" + n + "'?").orElse(""));
            }
            Map<String, Expression> map = new LinkedHashMap<>();
            if (m.get("map") instanceof YamlValue.Mapping mm) {
                mm.entries().forEach((k, v) -> {
                    Expression e = v instanceof YamlValue.Scalar s ? templates.expression(s.text(), textStart(s), problems) : null;
                    if (e != null) map.put(k, e);
                });
            }
            List<String> needs = kinds.format(format) == null ? List.of() : kinds.format(format).requiredKeys();
            // Judged by the keys written, not the expressions that compiled: a broken expression is
            // reported on its own, and a missing key must be reported whatever else is wrong.
            YamlValue.Mapping written = m.get("map") instanceof YamlValue.Mapping mm ? mm : null;
            Location needsAt = written != null ? m.keyLocation("map") : m.has("format") ? m.get("format").location() : m.location();
            for (String k : needs) {
                if (written == null || !written.has(k)) {
                    problems.add(needsAt, "sink format " + format + " needs `map` to name `" + k + "` (" + format + " needs "
                            + String.join(", ", needs) + "), e.g. `" + k + ": some_field`");
                }
            }
            if (written != null && kinds.format(format) != null) {
                for (String why : kinds.format(format).mapProblems(written.entries().keySet())) problems.add(needsAt, "sink format " + format + ": " + why);
            }
            Path path = relative(p, m.get("path").location());
            return path == null ? null : new SinkDef(path, format, map, m.location());
        }

        private Map<String, NodeDef> nodes(YamlValue v, Map<String, ModelProfile> models) {
            Map<String, NodeDef> out = new LinkedHashMap<>();
            if (!(v instanceof YamlValue.Mapping m)) return out;
            declared = Set.copyOf(m.entries().keySet());
            if (m.entries().isEmpty()) problems.add(m.location(), "a workflow needs at least one node");
            m.entries().forEach((name, value) -> {
                Location at = m.keyLocation(name);
                if (name.equals(EdgeDef.START) || name.equals(EdgeDef.END)) {
                    problems.add(at, "'" + name + "' is reserved for the graph's " + (name.equals("END") ? "end" : "start") + "; name the node otherwise");
                    return;
                }
                if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                    problems.add(at, "node name '" + name + "' must be letters, digits and _ (it becomes a field name in templates)");
                    return;
                }
                if (!(value instanceof YamlValue.Mapping config)) {
                    problems.add(value.location(), "node '" + name + "' must be a mapping with at least `kind`");
                    return;
                }
                String kindName = str(config.get("kind"), null);
                NodeKind kind = kindName == null ? null : kinds.get(kindName);
                if (kind == null) {
                    Location kat = config.has("kind") ? config.get("kind").location() : config.location();
                    List<String> names = kinds.all().stream().map(NodeKind::name).toList();
                    String hint = kindName == null ? "" : ShapeChecker.nearest(kindName, names).map(n -> "; did you mean '" + n + "'?").orElse("");
                    problems.add(kat, kindName == null ? "node '" + name + "' needs `kind` (one of " + String.join(", ", names) + ")"
                            : "node '" + name + "': unknown kind '" + kindName + "'"
                                    + (hint.isEmpty() ? " (known: " + String.join(", ", names) + ")" : hint));
                    return;
                }
                Shape.Obj shape = Language.NODE_COMMON.with(kind.shape());
                Config nodeConfig = new Config(name, config, models);
                if (!checker.check(config, shape, "node '" + name + "'", problems)) {
                    // The kind cannot be configured from a malformed mapping, but a wrong model name is
                    // worth reporting in the same pass.
                    if (config.get("model") instanceof YamlValue.Scalar) nodeConfig.model(config.get("model"));
                    return;
                }
                Node node = kind.configure(nodeConfig);
                if (node == null) return;
                boolean cache = !(config.get("cache") instanceof YamlValue.Scalar c) || !"false".equalsIgnoreCase(c.text());
                out.put(name, new NodeDef(name, kind.name(), kind.version(), node, cache, identity(config), at));
            });
            return out;
        }

        private String identity(YamlValue.Mapping config) {
            @SuppressWarnings("unchecked")
            Map<String, Object> plain = (Map<String, Object>) config.toPlain();
            plain.remove("description");
            plain.remove("cache");
            try {
                return CANONICAL.writeValueAsString(new TreeMap<>(plain));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        private List<EdgeDef> edges(YamlValue v, Map<String, NodeDef> nodes) {
            List<EdgeDef> out = new ArrayList<>();
            if (!(v instanceof YamlValue.Sequence seq)) return out;
            if (seq.items().isEmpty()) problems.add(seq.location(), "a workflow needs edges, e.g. `- first -> END`");
            for (YamlValue item : seq.items()) {
                if (item instanceof YamlValue.Scalar s) {
                    String[] parts = s.text().split("->");
                    if (parts.length < 2) {
                        problems.add(s.location(), "an edge reads `from -> to` (or a chain `a -> b -> c`), found '" + s.text() + "'");
                        continue;
                    }
                    for (int i = 0; i + 1 < parts.length; i++) {
                        String from = parts[i].trim();
                        String to = parts[i + 1].trim();
                        if (checkEnds(from, to, s.location(), nodes)) out.add(new EdgeDef(from, to, null, false, null, s.location()));
                    }
                } else if (item instanceof YamlValue.Mapping m) {
                    String from = str(m.get("from"), null);
                    String to = str(m.get("to"), null);
                    if (from == null || to == null) continue;
                    Expression when = m.get("when") instanceof YamlValue.Scalar w ? templates.expression(w.text(), textStart(w), problems) : null;
                    boolean otherwise = m.get("otherwise") instanceof YamlValue.Scalar o && "true".equalsIgnoreCase(o.text());
                    if (m.has("when") && otherwise) {
                        problems.add(m.keyLocation("otherwise"), "an edge has either `when` or `otherwise: true`, not both");
                    }
                    if (m.has("otherwise") && !otherwise) {
                        problems.add(m.keyLocation("otherwise"), "`otherwise: false` means nothing; leave it out");
                    }
                    Integer max = integer(m.get("max"));
                    if (checkEnds(from, to, m.location(), nodes) && (when != null || !m.has("when"))) {
                        out.add(new EdgeDef(from, to, when, otherwise, max, m.location()));
                    }
                }
            }
            return out;
        }

        private boolean checkEnds(String from, String to, Location at, Map<String, NodeDef> nodes) {
            boolean ok = true;
            // A declared node missing from `nodes` failed its own checks and was reported there;
            // calling it unknown here would send the user looking for a typo that is not there.
            if (from.equals(EdgeDef.END)) {
                problems.add(at, "no edge can leave END: a record that reaches END is finished; remove the edge " + from + " -> " + to);
                ok = false;
            } else if (!from.equals(EdgeDef.START) && !nodes.containsKey(from)) {
                if (!declared.contains(from)) problems.add(at, unknownNode(from));
                ok = false;
            }
            if (to.equals(EdgeDef.START)) {
                problems.add(at, "no edge can lead to START: START only marks where records enter; to go back to the first node, name it");
                ok = false;
            } else if (!to.equals(EdgeDef.END) && !nodes.containsKey(to)) {
                if (!declared.contains(to)) problems.add(at, unknownNode(to));
                ok = false;
            }
            return ok;
        }

        private String unknownNode(String name) {
            if (name.isEmpty()) return "an edge names an empty node";
            List<String> known = new ArrayList<>(declared);
            known.add(EdgeDef.END);
            return "unknown node '" + name + "' in edge" + ShapeChecker.nearest(name, known).map(n -> "; did you mean '" + n + "'?").orElse("");
        }

        /** "one of a, b, c", as the shape checker words a choice. */
        private static String oneOf(java.util.Collection<String> names) {
            return "one of " + String.join(", ", names);
        }

        /**
         * Another workflow file, loaded to be run by a node of this one: as a tool of an agent
         * ({@code overrides} null) or as a workflow node (see {@link NodeConfig#workflow}).
         */
        private Workflow nested(String node, YamlValue value, Set<String> fields, YamlValue.Mapping overrides, boolean asTool) {
            if (!(value instanceof YamlValue.Scalar s)) return null;
            Path p = relative(s.text(), s.location());
            if (p == null) return null;
            if (loading.contains(p.toAbsolutePath().normalize())) {
                problems.add(s.location(), "node '" + node + "': workflow " + displayPath(p) + " would run itself ("
                        + (asTool ? "a workflow cannot be its own tool, directly or through another)"
                                : "a workflow cannot run itself as a node, directly or through another)"));
                return null;
            }
            if (readFile(p, s.location(), "workflow file") == null) return null;
            Session inner = new Session(p, displayPath(p), given, Overrides.NONE, fields, loading,
                    overrides == null ? null : new NodeOverrides(node, overrides));
            try {
                Workflow w = inner.load();
                // Such a workflow runs one record inside a step: nothing to fan out into, nothing to compare with.
                for (NodeDef n : w.nodes().values()) {
                    if (n.kind().equals("explode") || n.node().ordered()) {
                        problems.add(s.location(), "node '" + node + "': workflow " + displayPath(p) + " has node '" + n.name()
                                + "' (" + n.kind() + "), which " + (n.node().ordered() ? "compares records with each other" : "splits a record into several")
                                + "; a workflow run " + (asTool ? "as a tool" : "by a node") + " handles one record at a time, so move '"
                                + n.name() + "' into this workflow");
                        return null;
                    }
                }
                bundle.putAll(inner.bundle);
                keptKeys.addAll(inner.keptKeys);
                w.models().forEach(nestedModels::putIfAbsent);
                return w;
            } catch (InvalidWorkflowException e) {
                // Its problems are at their own places, in its own file; this one says why it was read.
                for (Problem problem : e.problems()) problems.add(problem.location(), problem.message());
                problems.add(s.location(), asTool
                        ? "node '" + node + "': workflow " + displayPath(p) + " cannot be used as a tool: see its problems"
                                + " (its records hold the tool's `input` fields: " + String.join(", ", fields) + ")"
                        : "node '" + node + "': workflow " + displayPath(p) + " cannot be run by this node: see its problems"
                                + (fields.isEmpty() ? " (its records start empty: the node has no `input`)"
                                : " (its records hold the node's `input` fields: " + String.join(", ", fields) + ")"));
                return null;
            }
        }

        // ---- scalar helpers (values are shape-checked already; these only convert)

        private static String str(YamlValue v, String dflt) {
            return v instanceof YamlValue.Scalar s && s.type() != YamlValue.ScalarType.NULL ? s.text() : dflt;
        }

        private static Double dbl(YamlValue v) {
            return v instanceof YamlValue.Scalar s && s.isNumber() ? ((Number) s.toPlain()).doubleValue() : null;
        }

        private static Integer integer(YamlValue v) {
            return v instanceof YamlValue.Scalar s && s.type() == YamlValue.ScalarType.INTEGER ? ((Number) s.toPlain()).intValue() : null;
        }

        private Duration duration(YamlValue v, String what) {
            if (!(v instanceof YamlValue.Scalar s)) return null;
            if (s.isNumber()) return Duration.ofMillis((long) (((Number) s.toPlain()).doubleValue() * 1000));
            Matcher m = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)").matcher(s.text().trim());
            if (!m.matches()) {
                problems.add(s.location(), what + " must be seconds or a number with ms, s, m or h (e.g. 30s, 2m), found '" + s.text() + "'");
                return null;
            }
            double n = Double.parseDouble(m.group(1));
            long millis = (long) switch (m.group(2)) {
                case "ms" -> n;
                case "s" -> n * 1000;
                case "m" -> n * 60_000;
                default -> n * 3_600_000;
            };
            return Duration.ofMillis(millis);
        }

        private final class Config implements NodeConfig {
            private final String name;
            private final YamlValue.Mapping yaml;
            private final Map<String, ModelProfile> models;

            Config(String name, YamlValue.Mapping yaml, Map<String, ModelProfile> models) {
                this.name = name;
                this.yaml = yaml;
                this.models = models;
            }

            public String nodeName() {
                return name;
            }

            public YamlValue.Mapping yaml() {
                return yaml;
            }

            public Problems problems() {
                return problems;
            }

            public Template template(YamlValue value) {
                if (!(value instanceof YamlValue.Scalar s)) {
                    problems.add(value.location(), "node '" + name + "': expected a template (text), found " + value.describe());
                    return null;
                }
                return templates.template(s.text(), TextOrigin.ofScalar(s, s.location().file().equals(label) ? text : null), problems);
            }

            public Template templateFile(YamlValue path) {
                if (!(path instanceof YamlValue.Scalar s)) return null;
                Path p = relative(s.text(), s.location());
                if (p == null) return null;
                String content = Session.this.readFile(p, s.location(), "prompt file");
                if (content == null) return null;
                return templates.template(content, TextOrigin.ofFile(displayPath(p)), problems);
            }

            public Expression expression(YamlValue value) {
                if (!(value instanceof YamlValue.Scalar s)) {
                    problems.add(value.location(), "node '" + name + "': expected an expression, found " + value.describe());
                    return null;
                }
                return templates.expression(s.text(), textStart(s), problems);
            }

            @Override
            public Map<String, dev.weft.spi.Tool> tools() {
                return kinds.tools();
            }

            @Override
            public String readFile(YamlValue value) {
                if (!(value instanceof YamlValue.Scalar s)) {
                    problems.add(value.location(), "node '" + name + "': expected a file path, found " + value.describe());
                    return null;
                }
                Path p = relative(s.text(), s.location());
                return p == null ? null : Session.this.readFile(p, s.location(), "file");
            }

            @Override
            public Path path(YamlValue value) {
                if (!(value instanceof YamlValue.Scalar s)) {
                    problems.add(value.location(), "node '" + name + "': expected a path, found " + value.describe());
                    return null;
                }
                return relative(s.text(), s.location());
            }

            @Override
            public String display(Path path) {
                return displayPath(path);
            }

            @Override
            public String kept(YamlValue at, Path path, java.util.function.Supplier<String> compute) {
                String key = path.toAbsolutePath().normalize().toString();
                if (bundle.containsKey(key) && !keptKeys.contains(key)) {
                    problems.add(at.location(), "node '" + name + "': " + displayPath(path) + " is also read as a prompt or workflow file;"
                            + " give each its own file");
                    return null;
                }
                String content = given.get(key);
                if (content == null) content = compute.get();
                if (content == null) return null;
                keptKeys.add(key);
                bundle.put(key, content);
                return content;
            }

            @Override
            public Workflow workflow(YamlValue path, Set<String> fields) {
                return nested(name, path, fields, null, true);
            }

            @Override
            public Workflow workflow(YamlValue path, Set<String> fields, YamlValue.Mapping overrides) {
                return nested(name, path, fields, overrides == null ? new YamlValue.Mapping(path.location()) : overrides, false);
            }

            public ModelProfile model(YamlValue value) {
                String profile = str(value, null);
                ModelProfile p = profile == null ? null : models.get(profile);
                if (p == null) {
                    problems.add(value.location(), "node '" + name + "': unknown model profile '" + profile + "'"
                            + (models.isEmpty() ? "; declare it under `models:`"
                            : ShapeChecker.nearest(String.valueOf(profile), models.keySet()).map(n -> "; did you mean '" + n + "'?")
                                    .orElse(" (known: " + String.join(", ", models.keySet()) + ")")));
                }
                return p;
            }
        }

        /** A prompt file as the user would name it: relative to the workflow file's label. */
        private String displayPath(Path p) {
            Path base = Path.of(label).getParent();
            Path rel = file.toAbsolutePath().getParent().relativize(p);
            return base == null ? rel.toString() : base.resolve(rel).normalize().toString();
        }
    }

    /** A workflow node's `overrides` for the workflow it runs, with the node's name for messages. */
    private record NodeOverrides(String node, YamlValue.Mapping values) {}

    static String hash(Map<String, String> bundle) {
        MessageDigest md = Digests.sha256();
        new TreeMap<>(bundle).forEach((k, v) -> {
            md.update(Path.of(k).getFileName().toString().getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            md.update(v.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
        });
        return HexFormat.of().formatHex(md.digest());
    }
}
