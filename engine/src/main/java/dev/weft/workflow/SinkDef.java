package dev.weft.workflow;

import dev.weft.template.Expression;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where finished records are written, in which format, and with which field mapping. Immutable.
 *
 * @param map output key to expression; empty to write every record field
 */
public record SinkDef(Path path, String format, Map<String, Expression> map, Location location) {}
