package dev.weft.web;

import dev.weft.workflow.Workflow;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The folders given to {@code weft serve}: the only places a run started from the dashboard may
 * read workflows, prompts and data from, and write its output to. Paths are compared after
 * resolving symbolic links, so neither {@code ../} nor a link leads out. Immutable; thread-safe.
 */
final class Folders {
    private static final int MAX_FILES = 500;
    private static final int MAX_DEPTH = 8;
    private static final Set<String> SKIP = Set.of("target", "node_modules", ".git", ".weft", ".idea", "out", "build");
    private static final Pattern WORKFLOW_SHAPE = Pattern.compile("(?m)^nodes\\s*:");
    private final List<Path> roots;

    Folders(List<Path> folders) {
        List<Path> r = new ArrayList<>();
        for (Path f : folders) {
            try {
                r.add(f.toRealPath());
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot serve " + f + ": no such folder");
            }
        }
        this.roots = List.copyOf(r);
    }

    List<Path> roots() {
        return roots;
    }

    /** True when {@code p} (after resolving links; it need not exist yet) lies inside a served folder. */
    boolean contains(Path p) {
        Path real = real(p);
        for (Path root : roots) if (real.startsWith(root)) return true;
        return false;
    }

    /** The real path: links resolved for the part that exists, the rest normalized. */
    static Path real(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        Path existing = abs;
        Path rest = null;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            Path name = existing.getFileName();
            rest = rest == null ? name : name.resolve(rest);
            existing = existing.getParent();
        }
        if (existing == null) return abs;
        try {
            Path r = existing.toRealPath();
            return rest == null ? r : r.resolve(rest).normalize();
        } catch (IOException e) {
            return abs;
        }
    }

    /**
     * A workflow file a user named: an absolute path, or one relative to the first served folder.
     * Refused unless it is an existing file inside a served folder.
     */
    Path workflowFile(String given) {
        if (given == null || given.isBlank()) throw ApiException.bad("name a workflow file (`workflow`)");
        if (given.indexOf('\0') >= 0) throw ApiException.bad("a path cannot contain a NUL character");
        Path p = Path.of(given);
        if (!p.isAbsolute()) p = roots.get(0).resolve(p);
        if (!contains(p)) throw outside(given);
        Path real = real(p);
        if (!Files.isRegularFile(real)) throw ApiException.notFound("no workflow file " + given);
        return real;
    }

    /** Refuses a loaded workflow that reads or writes anything outside the served folders. */
    void checkWorkflow(Workflow wf) {
        for (String file : wf.bundle().keySet()) {
            if (!contains(Path.of(file))) throw outside(file);
        }
        if (wf.source() != null && wf.source().path() != null && !contains(wf.source().path())) throw outside(wf.source().path().toString());
        if (wf.sink() != null && !contains(wf.sink().path())) throw outside(wf.sink().path().toString());
    }

    /** An absolute path shown relative to the served folder it lies in (or as it is). */
    String display(Path p) {
        Path real = real(p);
        for (Path root : roots) {
            if (real.startsWith(root)) {
                Path rel = root.relativize(real);
                return roots.size() == 1 ? rel.toString() : root.getFileName() + "/" + rel;
            }
        }
        return p.toString();
    }

    /** Files under the served folders that look like workflows (YAML with a top-level `nodes:`). */
    List<Path> workflowFiles() {
        List<Path> out = new ArrayList<>();
        for (Path root : roots) {
            try {
                Files.walkFileTree(root, Set.of(), MAX_DEPTH, new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                        if (!dir.equals(root) && SKIP.contains(dir.getFileName().toString())) return FileVisitResult.SKIP_SUBTREE;
                        return out.size() >= MAX_FILES ? FileVisitResult.TERMINATE : FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                        String n = file.getFileName().toString().toLowerCase();
                        if (attrs.isRegularFile() && (n.endsWith(".yaml") || n.endsWith(".yml")) && attrs.size() < 1_000_000
                                && looksLikeWorkflow(file)) {
                            out.add(file);
                        }
                        return out.size() >= MAX_FILES ? FileVisitResult.TERMINATE : FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException exc) {
                        return FileVisitResult.CONTINUE;
                    }
                });
            } catch (IOException ignored) {
                // an unreadable folder lists nothing
            }
        }
        out.sort(null);
        return out;
    }

    private static boolean looksLikeWorkflow(Path file) {
        try {
            String text = Files.readString(file);
            return WORKFLOW_SHAPE.matcher(text).find() && text.contains("edges");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    Optional<Path> rootOf(Path p) {
        Path real = real(p);
        return roots.stream().filter(real::startsWith).findFirst();
    }

    static ApiException outside(String path) {
        return new ApiException(403, "refused: " + path + " is outside the folders this dashboard serves;"
                + " a run started here may only read and write inside them (start `weft serve` with that folder to allow it)");
    }
}
