package dev.weft.model;

import dev.langchain4j.exception.HttpException;
import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

/** Sorts whatever a provider library threw into retriable and non-retriable. Stateless. */
final class Failures {
    private Failures() {}

    static ModelException classify(String profile, RuntimeException e) {
        if (e instanceof ModelException me) return me;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof HttpException h) {
                int s = h.statusCode();
                Duration retryAfter = t instanceof HttpStatusException hs ? hs.retryAfter() : null;
                String what = "model '" + profile + "': server answered HTTP " + s + summary(h.getMessage());
                if (s == 408 || s == 409 || s == 425 || s == 429 || s >= 500) return new RetriableModelException(what, retryAfter, e);
                String hint = s == 401 || s == 403 ? " (check the API key named by api_key_env)"
                        : s == 404 ? " (check base_url, which must end in /v1 for OpenAI-compatible servers, and the model name)" : "";
                return new NonRetriableModelException(what + hint, e);
            }
            if (t instanceof HttpTimeoutException || t instanceof java.net.SocketTimeoutException
                    || t instanceof dev.langchain4j.exception.TimeoutException) {
                return new RetriableModelException("model '" + profile + "': request timed out", null, e);
            }
            if (t instanceof java.net.ConnectException) {
                return new RetriableModelException("model '" + profile + "': cannot connect to the model server ("
                        + t.getMessage() + "); is it running?", null, e);
            }
            // Before IOException: Jackson's exceptions are IOExceptions too, but a body that does not parse is no
            // connection failure.
            if (t instanceof com.fasterxml.jackson.core.JacksonException) {
                return new RetriableModelException("model '" + profile + "': malformed response from the model server: "
                        + firstLine(t.getMessage()), null, e);
            }
            if (t instanceof IOException) {
                return new RetriableModelException("model '" + profile + "': connection failed: " + t.getMessage(), null, e);
            }
        }
        if (e instanceof dev.langchain4j.exception.RetriableException) {
            return new RetriableModelException("model '" + profile + "': " + firstLine(e.getMessage()), null, e);
        }
        return new NonRetriableModelException("model '" + profile + "': " + firstLine(String.valueOf(e.getMessage())), e);
    }

    private static String summary(String body) {
        if (body == null || body.isBlank()) return "";
        String s = body.replaceAll("\\s+", " ").strip();
        return ": " + (s.length() > 200 ? s.substring(0, 197) + "..." : s);
    }

    private static String firstLine(String s) {
        if (s == null) return "unknown error";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
