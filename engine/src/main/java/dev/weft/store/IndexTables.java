package dev.weft.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.statement.PreparedBatch;

/**
 * The stored embedding indexes of retrieve corpora: a header row per index and its chunks, each
 * with its text, where it came from and its vector (float32, little-endian). Reads go through the
 * store's read pool; a save is one write of the store's single writer, so the chunks and the header
 * commit in one transaction (a crash leaves no half index behind a header). Thread-safe.
 */
public final class IndexTables {
    private final Store store;

    public IndexTables(Store store) {
        this.store = store;
    }

    /**
     * An index's header.
     *
     * @param settings how the corpus was chunked, as the index's builder describes it (JSON)
     * @param builds   how often this index was built (in any process): a reused index is not rebuilt
     */
    public record Header(String id, String corpusDigest, String settings, String embedder, int dimension, int chunks,
                         long buildMillis, int builds, long createdAt) {}

    /**
     * One chunk of an index, in corpus order ({@code n} from 0).
     *
     * @param file   the file it came from, relative to the corpus's folder
     * @param line   the line it starts on
     * @param meta   JSON object of the fields a jsonl record holds besides its text, or a markdown heading
     * @param vector float32 little-endian, {@code dimension} values
     */
    public record Chunk(int n, String file, int line, String text, String meta, byte[] vector) {}

    public Optional<Header> header(String id) {
        return store.reader().withHandle(h -> h.createQuery("SELECT * FROM corpus_indexes WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> header(rs)).findOne());
    }

    /** Every stored index, oldest first. */
    public List<Header> headers() {
        return store.reader().withHandle(h -> h.createQuery("SELECT * FROM corpus_indexes ORDER BY created_at, id")
                .map((rs, ctx) -> header(rs)).list());
    }

    private static Header header(ResultSet rs) throws SQLException {
        return new Header(rs.getString("id"), rs.getString("corpus_digest"), rs.getString("settings"), rs.getString("embedder"),
                rs.getInt("dimension"), rs.getInt("chunks"), rs.getLong("build_ms"), rs.getInt("builds"), rs.getLong("created_at"));
    }

    /** Every chunk of an index, in order. */
    public List<Chunk> chunks(String id) {
        return store.reader().withHandle(h -> h.createQuery("""
                        SELECT n, file, line, text, meta, vector FROM corpus_chunks WHERE index_id = :id ORDER BY n""")
                .bind("id", id)
                .map((rs, ctx) -> new Chunk(rs.getInt(1), rs.getString(2), rs.getInt(3), rs.getString(4), rs.getString(5), rs.getBytes(6)))
                .list());
    }

    /**
     * Queues the index for the writer: its chunks (replacing any of an earlier build) and then its
     * header, in one transaction. Building the same index again counts one more build.
     */
    public void save(Header header, List<Chunk> chunks) {
        store.write(h -> {
            h.createUpdate("DELETE FROM corpus_chunks WHERE index_id = :id").bind("id", header.id()).execute();
            PreparedBatch batch = h.prepareBatch("""
                    INSERT INTO corpus_chunks (index_id, n, file, line, text, meta, vector)
                    VALUES (:id, :n, :file, :line, :text, :meta, :vector)""");
            for (Chunk c : chunks) {
                batch.bind("id", header.id()).bind("n", c.n()).bind("file", c.file()).bind("line", c.line())
                        .bind("text", c.text()).bind("meta", c.meta()).bind("vector", c.vector()).add();
            }
            if (!chunks.isEmpty()) batch.execute();
            h.createUpdate("""
                            INSERT INTO corpus_indexes (id, corpus_digest, settings, embedder, dimension, chunks, build_ms, builds, created_at)
                            VALUES (:id, :digest, :settings, :embedder, :dimension, :chunks, :ms, 1, :created)
                            ON CONFLICT (id) DO UPDATE SET chunks = excluded.chunks, build_ms = excluded.build_ms,
                              builds = corpus_indexes.builds + 1, created_at = excluded.created_at""")
                    .bind("id", header.id()).bind("digest", header.corpusDigest()).bind("settings", header.settings())
                    .bind("embedder", header.embedder()).bind("dimension", header.dimension()).bind("chunks", chunks.size())
                    .bind("ms", header.buildMillis()).bind("created", header.createdAt())
                    .execute();
        });
    }
}
