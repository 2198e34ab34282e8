package dev.weft.spi;

import dev.weft.model.ModelProfile;
import dev.weft.template.Expression;
import dev.weft.template.Template;
import dev.weft.workflow.Location;
import dev.weft.workflow.Problems;
import dev.weft.workflow.Workflow;
import dev.weft.yaml.YamlValue;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/** What a {@link NodeKind} gets to build a node: its YAML and helpers that report at the right place. */
public interface NodeConfig {
    String nodeName();

    YamlValue.Mapping yaml();

    Problems problems();

    /** A template from a YAML scalar; null (problem reported) if it does not compile. */
    Template template(YamlValue value);

    /** A template read from a file relative to the workflow; null (problem reported) on error. */
    Template templateFile(YamlValue path);

    /** An expression from a YAML scalar; null (problem reported) if it does not compile. */
    Expression expression(YamlValue value);

    /** The model profile a YAML scalar names; null (problem reported) if there is none. */
    ModelProfile model(YamlValue name);

    default Location location() {
        return yaml().location();
    }

    /** The tools on the class path and in plugins, by name (what an agent's {@code tools:} may name). */
    default Map<String, Tool> tools() {
        return Map.of();
    }

    /**
     * The text of a file named relative to the workflow file, kept with the run so that a resumed
     * run reads the same content; null (problem reported at the value) if it cannot be read.
     */
    default String readFile(YamlValue path) {
        problems().add(path.location(), "node '" + nodeName() + "': files cannot be read here");
        return null;
    }

    /**
     * Another workflow file, named relative to this one, loaded and checked to be run from this
     * node: its files are kept with the run, its model profiles join the run's (one named like a
     * profile of this workflow is this workflow's), and its field-flow check takes {@code inputs}
     * as the fields its records bring (instead of its source's). Its own problems are reported
     * where they are. Null if it has any, or cannot be read.
     */
    default Workflow workflow(YamlValue path, Set<String> inputs) {
        problems().add(path.location(), "node '" + nodeName() + "': workflows cannot be loaded here");
        return null;
    }

    /**
     * A path named relative to the workflow file, not read; null (problem reported at the value) if
     * it is no valid path.
     */
    default Path path(YamlValue value) {
        problems().add(value.location(), "node '" + nodeName() + "': paths cannot be named here");
        return null;
    }

    /** A path as messages show it: as the user finds it from where they named the workflow file. */
    default String display(Path path) {
        return path.toString();
    }

    /**
     * A description of files this node reads while it runs (a corpus's manifest: its files and their
     * hashes), kept with the run under {@code path} as a prompt file is kept: when a stored run is
     * loaded again (resumed), the text it started with is returned and {@code compute} is not called;
     * otherwise {@code compute} makes it now, and may return null once it has reported a problem at
     * {@code at}. Like every file a run reads, {@code path} must lie inside the folders a dashboard
     * serves for the run to start there.
     */
    default String kept(YamlValue at, Path path, Supplier<String> compute) {
        return compute.get();
    }

    /**
     * Another workflow file, named relative to this one, loaded and checked to be run by this node
     * as one of its steps: as {@link #workflow(YamlValue, Set)}, and {@code overrides} (a mapping of
     * dotted key paths, e.g. {@code nodes.grade.rubric}, to values) changes the loaded file first, as
     * {@code --set} would. Every key of a path but the last must exist in that workflow; its problems
     * are reported at the overrides' places. Null if it has any problem, or cannot be read.
     *
     * @param overrides null for none
     */
    default Workflow workflow(YamlValue path, Set<String> inputs, YamlValue.Mapping overrides) {
        problems().add(path.location(), "node '" + nodeName() + "': workflows cannot be loaded here");
        return null;
    }
}
