package dev.weft.model;

import dev.langchain4j.exception.HttpException;
import dev.langchain4j.http.client.HttpClient;
import dev.langchain4j.http.client.HttpClientBuilder;
import dev.langchain4j.http.client.HttpRequest;
import dev.langchain4j.http.client.SuccessfulHttpResponse;
import dev.langchain4j.http.client.sse.ServerSentEventListener;
import dev.langchain4j.http.client.sse.ServerSentEventParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;

/**
 * langchain4j's HTTP client contract on java.net.http, written so that a non-2xx answer keeps
 * its Retry-After header (see {@link HttpStatusException}). Thread-safe.
 */
final class JdkHttpClient implements HttpClient {
    /** One client (one connection pool) for every profile; {@link OpenAiModel} sends on it too. */
    static final java.net.http.HttpClient SHARED = java.net.http.HttpClient.newBuilder()
            .version(java.net.http.HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    private final Duration readTimeout;

    JdkHttpClient(Duration readTimeout) {
        this.readTimeout = readTimeout;
    }

    static HttpClientBuilder builder() {
        return new Builder();
    }

    @Override
    public SuccessfulHttpResponse execute(HttpRequest request) throws HttpException {
        HttpResponse<String> response = send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (response.statusCode() / 100 != 2) {
            throw new HttpStatusException(response.statusCode(), response.body(), retryAfter(response.headers().map()));
        }
        return SuccessfulHttpResponse.builder()
                .statusCode(response.statusCode())
                .headers(response.headers().map())
                .body(response.body())
                .build();
    }

    @Override
    public void execute(HttpRequest request, ServerSentEventParser parser, ServerSentEventListener listener) {
        try {
            HttpResponse<InputStream> response = send(request, HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() / 100 != 2) {
                String body = new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
                listener.onError(new HttpStatusException(response.statusCode(), body, retryAfter(response.headers().map())));
                return;
            }
            try (InputStream in = response.body()) {
                parser.parse(in, listener);
            }
            listener.onClose();
        } catch (IOException | RuntimeException e) {
            listener.onError(e);
        }
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        var builder = java.net.http.HttpRequest.newBuilder(URI.create(request.url())).timeout(readTimeout);
        for (Map.Entry<String, List<String>> h : request.headers().entrySet()) {
            for (String v : h.getValue()) builder.header(h.getKey(), v);
        }
        String body = request.body();
        switch (request.method()) {
            case GET -> builder.GET();
            case DELETE -> builder.DELETE();
            default -> builder.method(request.method().name(),
                    body == null ? java.net.http.HttpRequest.BodyPublishers.noBody()
                            : java.net.http.HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        }
        try {
            return SHARED.send(builder.build(), handler);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the model server", e);
        }
    }

    /** Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
    static Duration retryAfter(Map<String, List<String>> headers) {
        for (Map.Entry<String, List<String>> h : headers.entrySet()) {
            if (!h.getKey().equalsIgnoreCase("retry-after") || h.getValue().isEmpty()) continue;
            String v = h.getValue().get(0).trim();
            try {
                return Duration.ofMillis((long) (Double.parseDouble(v) * 1000));
            } catch (NumberFormatException notSeconds) {
                try {
                    ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
                    Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
                    return d.isNegative() ? Duration.ZERO : d;
                } catch (RuntimeException unparseable) {
                    return null;
                }
            }
        }
        return null;
    }

    private static final class Builder implements HttpClientBuilder {
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration readTimeout = Duration.ofSeconds(60);

        public Duration connectTimeout() {
            return connectTimeout;
        }

        public HttpClientBuilder connectTimeout(Duration d) {
            if (d != null) connectTimeout = d;
            return this;
        }

        public Duration readTimeout() {
            return readTimeout;
        }

        public HttpClientBuilder readTimeout(Duration d) {
            if (d != null) readTimeout = d;
            return this;
        }

        public HttpClient build() {
            return new JdkHttpClient(readTimeout);
        }
    }
}
