package dev.weft.sink;

import dev.weft.WeftException;

/**
 * A record's values do not fit its output format (a multi-turn conversation whose roles do not
 * alternate, a tool call no tool answers, an oasst prompt without replies, ...). The record fails
 * with this message; the run goes on.
 */
public final class FormatException extends WeftException {
    public FormatException(String message) {
        super(message);
    }
}
