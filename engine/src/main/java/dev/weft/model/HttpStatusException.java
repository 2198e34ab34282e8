package dev.weft.model;

import dev.langchain4j.exception.HttpException;
import java.time.Duration;

/**
 * A non-2xx answer from a model server, keeping the Retry-After header that langchain4j's own
 * exception drops. langchain4j wraps it; {@link Failures} finds it again in the cause chain.
 */
final class HttpStatusException extends HttpException {
    private final Duration retryAfter;

    HttpStatusException(int status, String body, Duration retryAfter) {
        super(status, body);
        this.retryAfter = retryAfter;
    }

    Duration retryAfter() {
        return retryAfter;
    }
}
