package dev.weft.template;

import java.util.List;

/**
 * A checked template: its source and the record fields it reads. Immutable and thread-safe;
 * render it with {@link TemplateEngine#render}.
 */
public record Template(String source, List<FieldRead> reads) {}
