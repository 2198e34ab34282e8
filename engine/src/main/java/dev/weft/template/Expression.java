package dev.weft.template;

import java.util.List;

/**
 * A checked expression (a condition, a transform value, a sink mapping), in the same syntax as
 * inside {@code {{ }}}. Immutable and thread-safe; evaluate it with {@link TemplateEngine#evaluate}.
 */
public record Expression(String source, List<FieldRead> reads) {}
