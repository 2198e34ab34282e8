package dev.weft.source;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import dev.weft.WeftException;
import dev.weft.workflow.SourceDef;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper CANONICAL = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
    private final SourceDef source;
    private final Reader reader;
    private final Iterator<Map<String, Object>> rows;
    private long seq;
    private long line = 1;

    private RecordReader(SourceDef source, Reader reader, Iterator<Map<String, Object>> rows) {
        this.source = source;
        this.reader = reader;
        this.rows = rows;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    public static RecordReader open(SourceDef source) {
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
        try {
            BufferedReader r = Files.newBufferedReader(source.path(), StandardCharsets.UTF_8);
            Iterator<Map<String, Object>> rows = switch (source.format()) {
                case "jsonl" -> new JsonLines(r);
                case "json" -> {
                    JsonParser p = JSON.createParser(r);
                    if (p.nextToken() != JsonToken.START_ARRAY) {
                        throw new WeftException(source.path() + ": a .json source must be an array of objects; use .jsonl for one object per line");
                    }
                    p.nextToken();
                    MappingIterator it = JSON.readValues(p, LinkedHashMap.class);
                    yield (Iterator<Map<String, Object>>) (Iterator) it;
                }
                case "csv" -> {
                    CsvMapper csv = new CsvMapper();
                    MappingIterator it = csv.readerFor(LinkedHashMap.class).with(CsvSchema.emptySchema().withHeader()).readValues(r);
                    yield (Iterator<Map<String, Object>>) (Iterator) it;
                }
                default -> throw new WeftException("unknown source format " + source.format());
            };
            return new RecordReader(source, r, rows);
        } catch (IOException e) {
            throw new WeftException("cannot read source " + source.path() + ": " + e.getMessage(), e);
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
        String where = source.path() + (rows instanceof JsonLines jl ? ":" + jl.line : " (record " + (seq + 1) + ")");
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
            byte[] h = MessageDigest.getInstance("SHA-256").digest(CANONICAL.writeValueAsBytes(new TreeMap<>(fields)));
            return HexFormat.of().formatHex(h, 0, 8);
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        if (reader != null) {
            try {
                reader.close();
            } catch (IOException ignored) {
                // closing a file we only read: nothing to lose
            }
        }
    }

    /** One JSON object per line; blank lines are skipped; errors name the line. */
    private static final class JsonLines implements Iterator<Map<String, Object>> {
        private final BufferedReader reader;
        private String pending;
        long line;

        JsonLines(BufferedReader reader) {
            this.reader = reader;
        }

        public boolean hasNext() {
            if (pending != null) return true;
            try {
                String l;
                while ((l = reader.readLine()) != null) {
                    line++;
                    if (!l.isBlank()) {
                        pending = l;
                        return true;
                    }
                }
                return false;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @SuppressWarnings("unchecked")
        public Map<String, Object> next() {
            if (!hasNext()) throw new NoSuchElementException();
            String l = pending;
            pending = null;
            try {
                Object v = JSON.readValue(l, Object.class);
                if (!(v instanceof Map)) throw new IllegalArgumentException("each line must be a JSON object");
                return (Map<String, Object>) v;
            } catch (IOException e) {
                String m = e instanceof com.fasterxml.jackson.core.JacksonException j ? j.getOriginalMessage() : e.getMessage();
                throw new IllegalArgumentException("invalid JSON: " + m, e);
            }
        }
    }
}
