package dev.weft.template;

import dev.weft.WeftException;

/** Rendering or evaluating failed for one record (e.g. a filter applied to the wrong type). */
public final class TemplateException extends WeftException {
    public TemplateException(String message) {
        super(message);
    }
}
