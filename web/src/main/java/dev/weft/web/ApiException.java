package dev.weft.web;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** An API answer other than success: an HTTP status and a message for the user (never a stack trace). */
final class ApiException extends RuntimeException {
    final int status;
    final transient ObjectNode extra;

    ApiException(int status, String message) {
        this(status, message, null);
    }

    ApiException(int status, String message, ObjectNode extra) {
        super(message, null, false, false);
        this.status = status;
        this.extra = extra;
    }

    static ApiException notFound(String what) {
        return new ApiException(404, what);
    }

    static ApiException bad(String what) {
        return new ApiException(400, what);
    }
}
