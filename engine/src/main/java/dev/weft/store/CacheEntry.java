package dev.weft.store;

/**
 * One remembered model answer, addressed by the hash of everything that decides it. The request
 * is kept for traces and offline inspection; no credential is ever part of it. Immutable.
 */
public record CacheEntry(String key, String profile, String provider, String model, String requestJson,
                         String responseText, int tokensIn, int tokensOut, long createdAt) {}
