package dev.weft.template;

import dev.weft.workflow.Location;

/** A record field that a template or expression reads, and where it reads it. Immutable. */
public record FieldRead(String field, Location at) {}
