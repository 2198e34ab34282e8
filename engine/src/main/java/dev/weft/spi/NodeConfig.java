package dev.weft.spi;

import dev.weft.model.ModelProfile;
import dev.weft.template.Expression;
import dev.weft.template.Template;
import dev.weft.workflow.Location;
import dev.weft.workflow.Problems;
import dev.weft.yaml.YamlValue;

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
}
