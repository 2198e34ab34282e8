package dev.weft.source;

import dev.weft.WeftException;
import dev.weft.spi.SourceFormat;
import dev.weft.workflow.NodeKinds;
import dev.weft.workflow.Problems;
import dev.weft.workflow.SourceDef;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The fields a source provides, for the static field-flow check: the union of the first records'
 * fields (a CSV's header), since a data file has no declared schema.
 */
public final class SourceFields {
    private static final int SAMPLE = 100;

    private SourceFields() {}

    public static Set<String> of(SourceDef source, Problems problems) {
        return of(source, source == null || source.generate() != null ? null : NodeKinds.builtIn().sourceFormat(source.format()), problems);
    }

    /** The same, reading the file through {@code format} (a built-in or a plugin's). */
    public static Set<String> of(SourceDef source, SourceFormat format, Problems problems) {
        Set<String> fields = new LinkedHashSet<>();
        if (source == null || source.generate() != null) return fields;
        try (RecordReader r = RecordReader.open(source, format)) {
            for (int i = 0; i < SAMPLE && r.hasNext(); i++) fields.addAll(r.next().fields().keySet());
        } catch (WeftException e) {
            problems.add(source.location(), e.getMessage());
        }
        return fields;
    }
}
