package dev.weft.model;

/** The outcome of one gateway call: the answer, how many retries it took and how long. Immutable. */
public record ModelCall(ModelResponse response, int retries, long latencyMillis, double cost) {}
