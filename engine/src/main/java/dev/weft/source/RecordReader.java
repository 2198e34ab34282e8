package dev.weft.source;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.weft.WeftException;
import dev.weft.internal.Digests;
import dev.weft.spi.SourceFormat;
import dev.weft.workflow.NodeKinds;
import dev.weft.workflow.SourceDef;
import java.io.IOException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;

/**
 * Streams a source's records one at a time, never holding the file in memory. Not thread-safe:
 * one reader feeds one run.
 */
public final class RecordReader implements Iterator<SourceRecord>, AutoCloseable {
    private static final ObjectMapper CANONICAL = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
    private final SourceDef source;
    private final SourceFormat.Rows reader;
    private final Iterator<Map<String, Object>> rows;
    private long seq;
    private long line = 1;

    private RecordReader(SourceDef source, SourceFormat.Rows reader, Iterator<Map<String, Object>> rows) {
        this.source = source;
        this.reader = reader;
        this.rows = rows;
    }

    /** Opens a built-in format's source (jsonl, json, csv) or {@code generate: N}. */
    public static RecordReader open(SourceDef source) {
        return open(source, source.generate() != null ? null : NodeKinds.builtIn().sourceFormat(source.format()));
    }

    /**
     * Opens a source through its format (found by name through the SPI; null for {@code generate: N}).
     *
     * @throws WeftException when the file cannot be opened
     */
    public static RecordReader open(SourceDef source, SourceFormat format) {
        if (source.generate() != null) {
            long n = source.generate();
            Iterator<Map<String, Object>> gen = new Iterator<>() {
                long i;

                public boolean hasNext() {
                    return i < n;
                }

                public Map<String, Object> next() {
                    if (!hasNext()) throw new NoSuchElementException();
                    i++;
                    return new LinkedHashMap<>();
                }
            };
            return new RecordReader(source, null, gen);
        }
        if (format == null) throw new WeftException("unknown source format " + source.format());
        try {
            SourceFormat.Rows rows = format.open(source.path());
            return new RecordReader(source, rows, rows);
        } catch (IOException e) {
            throw new WeftException("cannot read source " + source.path() + ": " + e.getMessage(), e);
        } catch (WeftException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new WeftException("cannot read source " + source.path() + " as " + format.name() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean hasNext() {
        try {
            return rows.hasNext();
        } catch (RuntimeException e) {
            throw unreadable(e);
        }
    }

    @Override
    public SourceRecord next() {
        Map<String, Object> fields;
        try {
            fields = rows.next();
        } catch (NoSuchElementException e) {
            throw e;
        } catch (RuntimeException e) {
            throw unreadable(e);
        }
        long s = seq++;
        return new SourceRecord(s, id(s, fields), fields);
    }

    private WeftException unreadable(RuntimeException e) {
        String position = reader == null ? null : reader.position();
        String where = source.path() + (position != null ? position : " (record " + (seq + 1) + ")");
        Throwable t = e.getCause() != null ? e.getCause() : e;
        String msg = String.valueOf(t.getMessage()).split("\n")[0];
        return new WeftException(where + ": cannot read the record: " + msg + "; fix the data file and resume the run");
    }

    private String id(long s, Map<String, Object> fields) {
        if (source.generate() != null) return Long.toString(s);
        if (source.idField() != null) {
            Object v = fields.get(source.idField());
            if (v == null || v.toString().isEmpty()) {
                throw new WeftException(source.path() + " record " + (s + 1) + " has no id field '" + source.idField()
                        + "'; every record needs one, or remove `id:` to use content hashes");
            }
            return v.toString();
        }
        try {
            return HexFormat.of().formatHex(Digests.sha256(CANONICAL.writeValueAsBytes(new TreeMap<>(fields))), 0, 8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        if (reader != null) {
            try {
                reader.close();
            } catch (IOException | RuntimeException ignored) {
                // closing a file we only read: nothing to lose
            }
        }
    }
}
