package dev.weft.store;

import dev.weft.WeftException;

/** The store cannot be read or written (disk full, read-only file, corrupt database). */
public final class StoreException extends WeftException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
