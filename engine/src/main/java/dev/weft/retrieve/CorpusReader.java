package dev.weft.retrieve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.internal.Digests;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Reads a corpus's files and cuts them into chunks, in file order and then text order: a
 * {@code .txt} file by paragraphs and sentences, a {@code .md} file by sections and then the same
 * way, a {@code .jsonl} file record by record (the text field of each; the other fields are kept as
 * the chunk's metadata). Each file must still be what the corpus's manifest says it was; a problem
 * is a {@link CorpusException} naming the file and line. Stateless; thread-safe.
 */
final class CorpusReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CorpusReader() {}

    /**
     * A chunk of the corpus.
     *
     * @param file relative to the corpus's folder
     * @param meta a JSON object: a jsonl record's other fields, or a markdown chunk's {@code heading}
     */
    record Chunk(String file, int line, String text, String meta) {}

    static List<Chunk> read(Corpus corpus) {
        Chunker chunker = new Chunker(corpus.chunking().size(), corpus.chunking().overlap());
        List<Chunk> out = new ArrayList<>();
        for (CorpusFile f : corpus.files()) {
            String text = text(corpus, f);
            switch (CorpusScan.extension(f.path())) {
                case "jsonl" -> jsonl(corpus, f.path(), text, chunker, out);
                case "md", "markdown" -> pieces(f.path(), text, chunker.markdown(text), 0, null, out);
                default -> pieces(f.path(), text, chunker.plain(text), 0, null, out);
            }
        }
        return out;
    }

    /** The file's text, once its bytes are checked against the manifest. */
    private static String text(Corpus corpus, CorpusFile f) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(corpus.root().resolve(f.path()));
        } catch (NoSuchFileException e) {
            throw new CorpusException("corpus file " + corpus.describe(f.path()) + " is gone since the workflow was loaded"
                    + " (or since this run started); put it back, or run the workflow anew to index the corpus as it is now");
        } catch (IOException e) {
            throw new CorpusException("cannot read corpus file " + corpus.describe(f.path()) + ": " + e.getMessage());
        }
        if (!HexFormat.of().formatHex(Digests.sha256(bytes)).equals(f.sha256())) {
            throw new CorpusException("corpus file " + corpus.describe(f.path()) + " changed since the workflow was loaded"
                    + " (or since this run started); run the workflow anew to index the corpus as it is now");
        }
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            return s.startsWith("\uFEFF") ? s.substring(1) : s;
        } catch (CharacterCodingException e) {
            throw new CorpusException("corpus file " + corpus.describe(f.path()) + " is not UTF-8 text; save it as UTF-8");
        }
    }

    private static void jsonl(Corpus corpus, String file, String text, Chunker chunker, List<Chunk> out) {
        String field = corpus.chunking().textField();
        int lineNo = 0;
        int at = 0;
        while (at < text.length()) {
            int nl = text.indexOf('\n', at);
            String line = text.substring(at, nl < 0 ? text.length() : nl);
            at = nl < 0 ? text.length() : nl + 1;
            lineNo++;
            if (line.isBlank()) continue;
            String where = "corpus " + corpus.describe(file) + ":" + lineNo + ": ";
            JsonNode record;
            try {
                record = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                throw new CorpusException(where + "not valid JSON (" + e.getOriginalMessage().replaceAll("\\s+", " ")
                        + "); each line of a .jsonl file is one JSON object");
            }
            if (!(record instanceof ObjectNode object)) {
                throw new CorpusException(where + "expected a JSON object, found " + (record == null ? "nothing" : record.getNodeType().name().toLowerCase()));
            }
            JsonNode value = object.get(field);
            if (value == null || !value.isTextual()) {
                throw new CorpusException(where + (value == null ? "no field '" + field + "'" : "field '" + field + "' is not a string")
                        + "; `text_field` names the field that holds each record's text");
            }
            String body = value.asText();
            object.remove(field);
            pieces(file, body, chunker.plain(body), lineNo, object.toString(), out);
        }
    }

    /**
     * Adds a text's pieces as chunks.
     *
     * @param fixedLine the line every piece is on (a jsonl record), or 0 to count lines in the text
     * @param meta      every piece's metadata, or null for a markdown heading (or none)
     */
    private static void pieces(String file, String text, List<Chunker.Piece> pieces, int fixedLine, String meta, List<Chunk> out) {
        int[] lineStarts = fixedLine > 0 ? null : lineStarts(text);
        for (Chunker.Piece p : pieces) {
            int line = fixedLine > 0 ? fixedLine : lineOf(lineStarts, p.start());
            String m = meta != null ? meta : p.heading() == null ? "{}" : JSON.createObjectNode().put("heading", p.heading()).toString();
            out.add(new Chunk(file, line, text.substring(p.start(), p.end()), m));
        }
    }

    private static int[] lineStarts(String text) {
        int[] starts = new int[16];
        int n = 0;
        starts[n++] = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                if (n == starts.length) starts = Arrays.copyOf(starts, n * 2);
                starts[n++] = i + 1;
            }
        }
        return Arrays.copyOf(starts, n);
    }

    /** The 1-based line holding the character at {@code offset}. */
    private static int lineOf(int[] lineStarts, int offset) {
        int i = Arrays.binarySearch(lineStarts, offset);
        return (i >= 0 ? i : -i - 2) + 1;
    }
}
