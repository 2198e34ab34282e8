package dev.weft.retrieve;

/**
 * One file of a corpus as it was when the corpus was scanned.
 *
 * @param path   relative to the corpus's folder, with {@code /} between names
 * @param sha256 of its bytes, in hex
 */
public record CorpusFile(String path, String sha256, long bytes) {}
