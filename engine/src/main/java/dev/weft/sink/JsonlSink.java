package dev.weft.sink;

import dev.weft.spi.Sink;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The built-in sink: one JSON object per line, UTF-8, {@code \n} line ends. Writes every path that
 * no other sink claims. Registered through {@code META-INF/services/dev.weft.spi.Sink} like a
 * plugin's. Stateless; each writer is used by one thread at a time.
 */
public final class JsonlSink implements Sink {
    @Override
    public String name() {
        return "jsonl";
    }

    @Override
    public List<String> extensions() {
        return List.of(".jsonl");
    }

    @Override
    public Writer open(Path path) throws IOException {
        BufferedWriter out = Files.newBufferedWriter(path, StandardCharsets.UTF_8);
        return new Writer() {
            public void write(String jsonLine) throws IOException {
                out.write(jsonLine);
                out.write('\n');
            }

            public void flush() throws IOException {
                out.flush();
            }

            public void close() throws IOException {
                out.close();
            }
        };
    }
}
