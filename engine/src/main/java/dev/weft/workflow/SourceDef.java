package dev.weft.workflow;

import java.nio.file.Path;

/**
 * Where records come from: a file (jsonl, json or csv) or {@code generate: N} empty records.
 * Immutable.
 *
 * @param idField the field holding each record's id; null to use a hash of the record's content
 */
public record SourceDef(Path path, String format, String idField, Long generate, Location location) {}
