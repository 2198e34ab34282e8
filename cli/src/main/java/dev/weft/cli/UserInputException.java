package dev.weft.cli;

import dev.weft.WeftException;

/** Something the user typed cannot be used (exit code 2). */
final class UserInputException extends WeftException {
    UserInputException(String message) {
        super(message);
    }
}
