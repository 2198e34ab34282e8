package dev.weft.retrieve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.internal.Digests;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A corpus as a retrieve node indexes it: its files (as scanned when the workflow was loaded, or as
 * they were when a resumed run started), their digest, and how they are chunked. Immutable.
 *
 * @param root    the folder the files' paths are relative to (a single-file corpus: the file's folder)
 * @param display that folder as the workflow names it, relative to the workflow file ("" for its own
 *                folder): passages' {@code source} starts with it, so it never depends on where Weft runs
 * @param digest  SHA-256 over every file's path, size and content hash
 */
public record Corpus(Path root, String display, boolean singleFile, List<CorpusFile> files, String digest, Chunking chunking) {
    private static final ObjectMapper CANONICAL = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
    private static final int MANIFEST_VERSION = 1;

    public Corpus {
        files = List.copyOf(files);
    }

    static Corpus of(Path root, String display, boolean singleFile, List<CorpusFile> files, Chunking chunking) {
        return new Corpus(root, display, singleFile, files, digest(files), chunking);
    }

    private static String digest(List<CorpusFile> files) {
        var md = Digests.sha256();
        for (CorpusFile f : files) md.update((f.sha256() + " " + f.bytes() + " " + f.path() + "\n").getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(md.digest());
    }

    /** Where a passage is, as a user finds it from the workflow's folder: {@code docs/guide.md:12}. */
    public String source(String file, int line) {
        return path(file) + ":" + line;
    }

    private String path(String file) {
        return display.isEmpty() ? file : display.endsWith("/") ? display + file : display + "/" + file;
    }

    /** The corpus as the workflow names it, for messages: {@code docs/} or {@code data/faq.jsonl}. */
    public String describe() {
        if (singleFile) return path(files.get(0).path());
        return display.isEmpty() ? "./" : display.endsWith("/") ? display : display + "/";
    }

    /** A file of this corpus as the workflow would name it, for messages. */
    public String describe(String file) {
        return path(file);
    }

    /** How the corpus is cut, as stored with its index. */
    public String settingsJson() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("chunker", Chunker.VERSION);
        s.put("size", chunking.size());
        s.put("overlap", chunking.overlap());
        s.put("text_field", chunking.textField());
        return canonical(s);
    }

    /** The key of this corpus's index made by {@code embedder}: content, chunking and embedder, nothing else. */
    public String indexId(String embedder) {
        Map<String, Object> k = new LinkedHashMap<>();
        k.put("corpus", digest);
        k.put("settings", settingsJson());
        k.put("embedder", embedder);
        return HexFormat.of().formatHex(Digests.sha256(canonical(k).getBytes(StandardCharsets.UTF_8)));
    }

    /** The files and their digest as text, kept with a run so that resuming it indexes the very same corpus. */
    public String manifest() {
        ObjectNode m = CANONICAL.createObjectNode();
        m.put("weft_corpus", MANIFEST_VERSION);
        m.put("single_file", singleFile);
        m.put("digest", digest);
        ArrayNode list = m.putArray("files");
        for (CorpusFile f : files) list.addObject().put("path", f.path()).put("sha256", f.sha256()).put("bytes", f.bytes());
        return m.toString();
    }

    /**
     * A corpus from its {@link #manifest()}; null if the text is no manifest.
     *
     * @param path    the corpus's file or folder
     * @param written that path as the workflow writes it
     */
    public static Corpus fromManifest(String manifest, Path path, String written, Chunking chunking) {
        String display = CorpusScan.normalized(written);
        try {
            JsonNode m = CANONICAL.readTree(manifest);
            if (m == null || m.path("weft_corpus").asInt() != MANIFEST_VERSION) return null;
            List<CorpusFile> files = new ArrayList<>();
            for (JsonNode f : m.path("files")) files.add(new CorpusFile(f.path("path").asText(), f.path("sha256").asText(), f.path("bytes").asLong()));
            boolean single = m.path("single_file").asBoolean();
            Corpus c = of(single ? path.getParent() : path, single ? parentOf(display) : display, single, files, chunking);
            return c.digest.equals(m.path("digest").asText()) && !files.isEmpty() ? c : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** The folder part of a path as written ("docs/faq.jsonl" -> "docs", "faq.jsonl" -> ""). */
    static String parentOf(String display) {
        int slash = display.lastIndexOf('/');
        return slash < 0 ? "" : slash == 0 ? "/" : display.substring(0, slash);
    }

    private static String canonical(Object o) {
        try {
            return CANONICAL.writeValueAsString(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
