package dev.weft;

/**
 * The root of every exception Weft throws on purpose. Unchecked, so that callers handle it where
 * they can say something useful to the user, and nowhere else.
 */
public class WeftException extends RuntimeException {
    public WeftException(String message) {
        super(message);
    }

    public WeftException(String message, Throwable cause) {
        super(message, cause);
    }
}
