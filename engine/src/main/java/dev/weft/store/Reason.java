package dev.weft.store;

/** Why records failed or were filtered, grouped: the text, how many, and one record id as an example. Immutable. */
public record Reason(String text, long count, String exampleRecordId, String node) {}
