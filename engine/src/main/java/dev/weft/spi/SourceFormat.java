package dev.weft.spi;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A kind of source file ({@code source.format}, or inferred from the file's extension): how to
 * stream its records. The built-in formats ({@code jsonl}, {@code json}, {@code csv}) are
 * registered the same way as a plugin's: {@link java.util.ServiceLoader},
 * {@code META-INF/services/dev.weft.spi.SourceFormat}, public no-argument constructor.
 *
 * <p><b>Thread-safety.</b> The format itself is shared and must be stateless; each {@link Rows} it
 * opens is used by one thread only. Records are streamed: a format must not read the whole file
 * into memory. The engine reads a file twice per run at most (once for the fields the validator
 * sees, from its first records, and once to run), so both passes must give the same records in
 * the same order.
 */
public interface SourceFormat {
    /** The value of {@code format:} in YAML. */
    String name();

    /** File name endings that select this format when {@code format:} is not given, e.g. {@code .jsonl}. */
    List<String> extensions();

    /** Opens the file; the engine closes what it opens. */
    Rows open(Path file) throws IOException;

    /** The records of one file, in order. One thread; not shared. */
    interface Rows extends Iterator<Map<String, Object>>, AutoCloseable {
        /**
         * Where the last record came from, for messages ({@code ":12"} for a line), or null; an
         * exception from {@code hasNext}/{@code next} is reported with it as an unreadable record.
         */
        default String position() {
            return null;
        }

        @Override
        void close() throws IOException;
    }
}
