package dev.weft.spi;

import dev.weft.workflow.Location;
import dev.weft.workflow.Problems;
import dev.weft.yaml.YamlValue;

/** What a {@link Tool} gets to configure itself for one agent node: its settings and helpers. */
public interface ToolConfig {
    /** The agent node that offers the tool. */
    String nodeName();

    /** The tool's entry ({@code {tool: NAME, ...}}); an empty mapping for the plain {@code NAME} form. */
    YamlValue.Mapping yaml();

    Problems problems();

    /**
     * The text of a file named relative to the workflow file. It is kept with the run, so a resumed
     * run reads the same content. Null (problem reported at the value) if it cannot be read.
     */
    String readFile(YamlValue path);

    default Location location() {
        return yaml().location();
    }
}
