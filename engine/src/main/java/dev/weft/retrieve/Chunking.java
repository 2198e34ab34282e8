package dev.weft.retrieve;

/**
 * How a corpus is cut into passages: at most {@code size} characters each, each starting
 * {@code overlap} characters before the previous one ended; {@code textField} is the field that
 * holds the text in a {@code .jsonl} file. Part of the key of every index built with it. Immutable.
 */
public record Chunking(int size, int overlap, String textField) {
    public static final int DEFAULT_SIZE = 800;
    public static final int DEFAULT_OVERLAP = 100;
    public static final String DEFAULT_TEXT_FIELD = "text";
}
