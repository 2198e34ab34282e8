package dev.weft.retrieve;

import dev.weft.WeftException;

/** A corpus that cannot be indexed as it is (a file changed or gone, not UTF-8, a bad jsonl line); the message names the file and line. */
final class CorpusException extends WeftException {
    CorpusException(String message) {
        super(message);
    }
}
