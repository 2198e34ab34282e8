package dev.weft.spi;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Where a run's output lines go, chosen by the end of {@code sink.path}'s file name (a sink whose
 * {@link #extensions()} claim {@code .parquet} writes {@code out/data.parquet}). The built-in
 * {@code jsonl} sink (one JSON line per record) takes every other path. Registered with
 * {@link java.util.ServiceLoader}: {@code META-INF/services/dev.weft.spi.Sink}, public no-argument
 * constructor.
 *
 * <p><b>Order and threads.</b> The engine puts lines in source order before they reach the sink,
 * and calls one {@link Writer} from one thread at a time (calls are serialized, though not always
 * from the same thread): a writer needs no locking. The sink itself is shared and must be stateless.
 */
public interface Sink {
    /** A short name for messages and the language reference, e.g. {@code jsonl}. */
    String name();

    /** File name endings this sink writes, e.g. {@code .parquet}; empty for the default sink. */
    List<String> extensions();

    /** Opens (creates or truncates) the output file; its folder exists. */
    Writer open(Path path) throws IOException;

    /** One run's output, written in source order. */
    interface Writer extends AutoCloseable {
        /** One record's output: a JSON object's text, without a newline. */
        void write(String jsonLine) throws IOException;

        /** Everything written so far should reach the file (called when no record is waiting). */
        void flush() throws IOException;

        @Override
        void close() throws IOException;
    }
}
