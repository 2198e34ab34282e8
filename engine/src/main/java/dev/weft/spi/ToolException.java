package dev.weft.spi;

/**
 * A tool cannot answer this call (bad arguments, no such entry). Its message is given back to the
 * model as the tool's result, so write it for the model: what was wrong and what would work.
 */
public class ToolException extends RuntimeException {
    public ToolException(String message) {
        super(message);
    }

    public ToolException(String message, Throwable cause) {
        super(message, cause);
    }
}
