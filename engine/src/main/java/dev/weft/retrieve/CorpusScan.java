package dev.weft.retrieve;

import dev.weft.WeftException;
import dev.weft.internal.Digests;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;

/**
 * Finds a corpus's files when a workflow is loaded, and hashes them: a file, or a folder with its
 * sub-folders (hidden names, starting with {@code .}, are skipped). Every file must be one Weft
 * can read — {@code .txt}, {@code .md} (or {@code .markdown}) or {@code .jsonl} — and at least one
 * must hold more than white space. Reads every byte once (for the digest), parses nothing: the
 * content is read when the index is built. Stateless; thread-safe.
 */
public final class CorpusScan {
    public static final Set<String> TYPES = Set.of("txt", "md", "markdown", "jsonl");
    private static final int SHOWN = 3;
    /** Every query is compared with every chunk: beyond this, the brute-force index is no longer the right tool. */
    static final long MAX_BYTES = 256L * 1024 * 1024;
    static final int MAX_FILES = 100_000;

    private CorpusScan() {}

    /** A corpus the scan cannot take; the message says what is wrong and what to do. */
    public static final class Refused extends WeftException {
        Refused(String message) {
            super(message);
        }
    }

    /**
     * Scans the corpus at {@code path}.
     *
     * @param written the path as the workflow writes it (relative to the workflow file), for passages' sources
     * @param shown   the path as messages show it
     * @throws Refused when it is missing, empty, or holds files of other types
     */
    public static Corpus scan(Path path, String written, String shown, Chunking chunking) {
        String display = normalized(written);
        if (!Files.exists(path)) throw new Refused("corpus not found: " + shown + " (paths are relative to the workflow file)");
        if (Files.isDirectory(path)) {
            String folder = shown.endsWith("/") ? shown : shown + "/";
            List<Hashed> hashed = hash(list(path, folder), folder);
            if (hashed.stream().allMatch(Hashed::blank)) throw new Refused("corpus folder " + folder + " holds only empty files");
            return Corpus.of(path, display, false, files(hashed), chunking);
        }
        if (!Files.isRegularFile(path)) throw new Refused("corpus " + shown + " is neither a file nor a folder");
        String name = path.getFileName().toString();
        if (!TYPES.contains(extension(name))) {
            throw new Refused("corpus file " + shown + " is not a .txt, .md or .jsonl file; convert it to one of these");
        }
        try {
            if (Files.size(path) > MAX_BYTES) throw new Refused(tooLarge("corpus file " + shown, false));
        } catch (IOException e) {
            throw new Refused("cannot read corpus file " + shown + ": " + e.getMessage());
        }
        TreeMap<String, Path> one = new TreeMap<>();
        one.put(name, path);
        List<Hashed> hashed = hash(one, "");
        if (hashed.get(0).blank()) throw new Refused("corpus file " + shown + " is empty");
        return Corpus.of(path.getParent(), Corpus.parentOf(display), true, files(hashed), chunking);
    }

    /** A path as written, without {@code ./}, {@code a/../} and a trailing slash, with {@code /} between names. */
    static String normalized(String written) {
        String s = Path.of(written).normalize().toString().replace('\\', '/');
        if (s.length() > 1 && s.endsWith("/")) s = s.substring(0, s.length() - 1);
        return s;
    }

    static String extension(String name) {
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    private static TreeMap<String, Path> list(Path root, String folder) {
        TreeMap<String, Path> files = new TreeMap<>();
        List<String> others = new ArrayList<>();
        List<String> links = new ArrayList<>();
        long[] bytes = {0};
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    return !dir.equals(root) && hidden(dir) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (hidden(file)) return FileVisitResult.CONTINUE;
                    String rel = root.relativize(file).toString().replace('\\', '/');
                    // A link could lead out of the folder a dashboard serves: name the file itself instead.
                    if (attrs.isSymbolicLink()) links.add(rel);
                    else if (!attrs.isRegularFile() || !TYPES.contains(extension(rel))) others.add(rel);
                    else {
                        files.put(rel, file);
                        bytes[0] += attrs.size();
                        if (files.size() > MAX_FILES || bytes[0] > MAX_BYTES) throw new Refused(tooLarge("corpus folder " + folder, true));
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    throw new Refused("cannot read " + folder + root.relativize(file) + " of the corpus: " + e.getMessage());
                }
            });
        } catch (IOException e) {
            throw new Refused("cannot read corpus folder " + folder + ": " + e.getMessage());
        }
        if (!links.isEmpty()) {
            throw new Refused("corpus folder " + folder + " holds symbolic links (" + some(links) + "); put the files themselves in the folder");
        }
        if (!others.isEmpty()) {
            throw new Refused("corpus folder " + folder + " holds files that are not .txt, .md or .jsonl (" + some(others)
                    + "); move them out of the folder");
        }
        if (files.isEmpty()) throw new Refused("corpus folder " + folder + " has no .txt, .md or .jsonl files");
        return files;
    }

    private static String tooLarge(String what, boolean folder) {
        return what + (folder ? " holds more than " + MAX_BYTES / (1024 * 1024) + " MiB or " + String.format(Locale.ROOT, "%,d", MAX_FILES)
                + " files" : " is larger than " + MAX_BYTES / (1024 * 1024) + " MiB")
                + "; every query is compared with every passage, which suits corpora of up to about 100,000 passages";
    }

    private static boolean hidden(Path p) {
        Path name = p.getFileName();
        return name != null && name.toString().startsWith(".");
    }

    private static String some(List<String> names) {
        List<String> sorted = names.stream().sorted().toList();
        String shown = String.join(", ", sorted.subList(0, Math.min(SHOWN, sorted.size())));
        return sorted.size() > SHOWN ? shown + " and " + (sorted.size() - SHOWN) + " more" : shown;
    }

    /** A file's hash, and whether it holds only white space. */
    private record Hashed(CorpusFile file, boolean blank) {}

    private static List<Hashed> hash(TreeMap<String, Path> files, String folder) {
        List<Hashed> out = new ArrayList<>();
        byte[] buffer = new byte[64 * 1024];
        for (var e : files.entrySet()) {
            MessageDigest md = Digests.sha256();
            long bytes = 0;
            boolean blank = true;
            try (InputStream in = Files.newInputStream(e.getValue())) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    md.update(buffer, 0, n);
                    bytes += n;
                    for (int i = 0; blank && i < n; i++) blank = buffer[i] == ' ' || buffer[i] == '\n' || buffer[i] == '\r' || buffer[i] == '\t';
                }
            } catch (IOException x) {
                throw new Refused("cannot read corpus file " + folder + e.getKey() + ": " + x.getMessage());
            }
            out.add(new Hashed(new CorpusFile(e.getKey(), HexFormat.of().formatHex(md.digest()), bytes), blank));
        }
        return out;
    }

    private static List<CorpusFile> files(List<Hashed> hashed) {
        return hashed.stream().map(Hashed::file).toList();
    }
}
