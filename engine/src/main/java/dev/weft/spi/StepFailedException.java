package dev.weft.spi;

import dev.weft.WeftException;

/** A step failed for this record alone (an answer that never parsed, a failed model call). */
public class StepFailedException extends WeftException {
    public StepFailedException(String message) {
        super(message);
    }

    public StepFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
