package dev.weft.model;

/** A failure that asking again will not fix: a rejected request, bad credentials, an unknown model. */
public final class NonRetriableModelException extends ModelException {
    public NonRetriableModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
