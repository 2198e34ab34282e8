package dev.weft.model;

import java.time.Duration;
import java.util.Optional;

/** A failure that may pass: rate limits, server errors, timeouts, dropped connections. */
public final class RetriableModelException extends ModelException {
    private final Duration retryAfter;

    public RetriableModelException(String message, Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.retryAfter = retryAfter;
    }

    /** The wait the server asked for (Retry-After), if it asked. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
