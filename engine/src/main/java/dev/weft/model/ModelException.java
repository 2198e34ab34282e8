package dev.weft.model;

import dev.weft.WeftException;

/** A model call failed. See the two subclasses for whether to try again. */
public abstract class ModelException extends WeftException {
    protected ModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
