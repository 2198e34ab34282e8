package dev.weft.sink;

import dev.weft.WeftException;
import dev.weft.spi.Sink;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;

/**
 * Writes finished records to a JSONL file in source order, whatever order they finish in: a
 * record that finishes early waits in a buffer until every record before it is settled. A source
 * record gives 0..n lines (none when filtered or failed; its children's, in child order, when it
 * was exploded). Two runs of the same inputs therefore write the same bytes. Thread-safe (records
 * finish on many threads).
 */
public final class OrderedOutput implements AutoCloseable {
    private final Sink.Writer out;
    private final TreeMap<Long, List<String>> waiting = new TreeMap<>();
    private long next;
    private long written;

    /** @param first the first seq that will be settled (0 for a run from the start) */
    public OrderedOutput(Path path, long first) {
        this(path, first, new JsonlSink());
    }

    /** Writes through {@code sink} (the one the SPI finds for the path's extension). */
    public OrderedOutput(Path path, long first, Sink sink) {
        this.next = first;
        try {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            this.out = sink.open(path);
        } catch (IOException e) {
            throw new WeftException("cannot write the output file " + path + ": " + e.getMessage(), e);
        }
    }

    /** A record's output line (JSON without the newline). */
    public synchronized void done(long seq, String line) {
        done(seq, List.of(line));
    }

    /** A source record's output lines (JSON without the newline), in order; empty when it produces none. */
    public synchronized void done(long seq, List<String> lines) {
        waiting.put(seq, lines);
        drain();
    }

    /** A record that produces no line (filtered or failed). */
    public synchronized void skip(long seq) {
        done(seq, List.of());
    }

    /** How many settled records wait for an earlier one. */
    public synchronized int buffered() {
        return waiting.size();
    }

    public synchronized long written() {
        return written;
    }

    private void drain() {
        try {
            while (!waiting.isEmpty() && waiting.firstKey() == next) {
                for (String line : waiting.pollFirstEntry().getValue()) {
                    out.write(line);
                    written++;
                }
                next++;
            }
            if (waiting.isEmpty()) out.flush();
        } catch (IOException e) {
            throw new WeftException("cannot write the output file: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new WeftException("cannot finish the output file: " + e.getMessage(), e);
        }
    }
}
