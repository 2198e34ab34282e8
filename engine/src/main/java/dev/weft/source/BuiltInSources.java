package dev.weft.source;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import dev.weft.WeftException;
import dev.weft.spi.SourceFormat;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * The built-in source formats, registered through {@code META-INF/services/dev.weft.spi.SourceFormat}
 * like a plugin's: {@code jsonl} (one object per line), {@code json} (an array of objects, streamed)
 * and {@code csv} (a header row, then one record per row). Stateless; thread-safe.
 */
public final class BuiltInSources {
    private static final ObjectMapper JSON = new ObjectMapper();

    private BuiltInSources() {}

    public static final class Jsonl implements SourceFormat {
        public String name() {
            return "jsonl";
        }

        public List<String> extensions() {
            return List.of(".jsonl", ".ndjson");
        }

        public Rows open(Path file) throws IOException {
            return new JsonLines(Files.newBufferedReader(file, StandardCharsets.UTF_8));
        }
    }

    public static final class Json implements SourceFormat {
        public String name() {
            return "json";
        }

        public List<String> extensions() {
            return List.of(".json");
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        public Rows open(Path file) throws IOException {
            BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8);
            try {
                JsonParser p = JSON.createParser(r);
                if (p.nextToken() != JsonToken.START_ARRAY) {
                    throw new WeftException(file + ": a .json source must be an array of objects; use .jsonl for one object per line");
                }
                p.nextToken();
                MappingIterator it = JSON.readValues(p, LinkedHashMap.class);
                return rows(r, (Iterator<Map<String, Object>>) (Iterator) it);
            } catch (IOException | RuntimeException e) {
                r.close();
                throw e;
            }
        }
    }

    public static final class Csv implements SourceFormat {
        public String name() {
            return "csv";
        }

        public List<String> extensions() {
            return List.of(".csv");
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        public Rows open(Path file) throws IOException {
            BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8);
            try {
                MappingIterator it = new CsvMapper().readerFor(LinkedHashMap.class).with(CsvSchema.emptySchema().withHeader()).readValues(r);
                return rows(r, (Iterator<Map<String, Object>>) (Iterator) it);
            } catch (IOException | RuntimeException e) {
                r.close();
                throw e;
            }
        }
    }

    private static SourceFormat.Rows rows(BufferedReader reader, Iterator<Map<String, Object>> it) {
        return new SourceFormat.Rows() {
            public boolean hasNext() {
                return it.hasNext();
            }

            public Map<String, Object> next() {
                return it.next();
            }

            public void close() throws IOException {
                reader.close();
            }
        };
    }

    /** One JSON object per line; blank lines are skipped; errors name the line. */
    private static final class JsonLines implements SourceFormat.Rows {
        private final BufferedReader reader;
        private String pending;
        long line;

        JsonLines(BufferedReader reader) {
            this.reader = reader;
        }

        public String position() {
            return ":" + line;
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

        public void close() throws IOException {
            reader.close();
        }
    }
}
