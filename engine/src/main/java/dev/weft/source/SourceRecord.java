package dev.weft.source;

import java.util.Map;

/**
 * One input record: its position in the source (0-based), its id and its fields. Immutable
 * (the map is not copied; readers hand over a fresh map per record).
 */
public record SourceRecord(long seq, String id, Map<String, Object> fields) {}
