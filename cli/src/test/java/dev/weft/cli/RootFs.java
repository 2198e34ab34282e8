package dev.weft.cli;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Real storage faults, as root on Linux: a small tmpfs that can be filled (disk full), and the
 * immutable attribute ({@code chattr +i}), which stops even root from writing a file, through file
 * descriptors already open too, on file systems that enforce it (ext4, xfs, btrfs; not tmpfs).
 * When the folder's file system does not enforce it, a small ext4 image is loop-mounted instead.
 *
 * <p>Without these powers (not root, no mount, no chattr) the storage tests cannot run: they fail
 * when the environment variable CI is set, so that a CI job never passes by skipping them, and are
 * skipped with the reason otherwise.
 */
final class RootFs implements AutoCloseable {
    private final Path mountPoint;
    private final Path image;
    private final boolean mounted;

    private RootFs(Path mountPoint, Path image, boolean mounted) {
        this.mountPoint = mountPoint;
        this.image = image;
        this.mounted = mounted;
    }

    Path dir() {
        return mountPoint;
    }

    /** A tmpfs of {@code size} (e.g. "16m") mounted on a new folder {@code dir}. */
    static RootFs tmpfs(Path dir, String size) throws Exception {
        Files.createDirectories(dir);
        require(run("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0755", "tmpfs", dir.toString()),
                "mount a tmpfs (needs root, or CAP_SYS_ADMIN)");
        return new RootFs(dir, null, true);
    }

    /**
     * A folder on a file system where {@code chattr +i} stops writes through open descriptors: a new
     * folder under {@code base} if its file system does so, else a 64 MB ext4 image loop-mounted there.
     */
    static RootFs immutableCapable(Path base) throws Exception {
        Path here = Files.createDirectories(base.resolve("fs"));
        String probe = immutableBlocksOpenWrites(here);
        if (probe == null) return new RootFs(here, null, false);
        System.out.println("chattr +i does not stop writes in " + here + " (" + probe + "): using a loop-mounted ext4 image");
        Path image = base.resolve("ext4.img");
        try (var f = new java.io.RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(64L << 20);
        }
        String mkfs = run("mkfs.ext4", "-q", "-F", image.toString());
        String mount = mkfs != null ? mkfs : run("mount", "-o", "loop", image.toString(), here.toString());
        require(mount, "use chattr +i in " + here + " (" + probe + "), or loop-mount an ext4 image there instead");
        String again = immutableBlocksOpenWrites(here);
        RootFs fs = new RootFs(here, image, true);
        if (again != null) {
            fs.close();
            require(again, "make a file immutable on a loop-mounted ext4");
        }
        return fs;
    }

    /** Sets or clears the immutable attribute; it stops every write to the file, root's included. */
    static void immutable(Path file, boolean on) throws Exception {
        String problem = run("chattr", on ? "+i" : "-i", file.toString());
        if (problem != null) throw new AssertionError("chattr failed on " + file + ": " + problem);
    }

    /** Fills the file system that holds {@code dir} with {@code file}, to the last byte; returns how much it took. */
    static long fill(Path file) {
        long written = 0;
        byte[] block = new byte[1 << 20];
        try (FileOutputStream out = new FileOutputStream(file.toFile())) {
            for (int size = block.length; size >= 1; ) {
                try {
                    out.write(block, 0, size);
                    out.getFD().sync();
                    written += size;
                } catch (IOException full) {
                    size /= 2;
                }
            }
        } catch (IOException e) {
            // closing a file on a full disk may fail too; what was written stays
        }
        return written;
    }

    @Override
    public void close() throws Exception {
        if (!mounted) return;
        String problem = run("umount", mountPoint.toString());
        if (problem != null) problem = run("umount", "-l", mountPoint.toString());
        if (image != null) Files.deleteIfExists(image);
        if (problem != null) throw new AssertionError("cannot unmount " + mountPoint + ": " + problem);
    }

    /** null when the attribute stops a write through a descriptor opened before it was set, else why not. */
    private static String immutableBlocksOpenWrites(Path dir) throws Exception {
        Path f = dir.resolve("probe");
        try (FileOutputStream out = new FileOutputStream(f.toFile())) {
            out.write(1);
            String chattr = run("chattr", "+i", f.toString());
            if (chattr != null) return "chattr: " + chattr;
            try {
                out.write(2);
                out.getFD().sync();
                return "the file system lets an open descriptor write an immutable file";
            } catch (IOException blocked) {
                return null;
            } finally {
                run("chattr", "-i", f.toString());
            }
        } finally {
            Files.deleteIfExists(f);
        }
    }

    private static void require(String problem, String what) {
        if (problem == null) return;
        String message = "the storage fault tests need to " + what + ", which failed here: " + problem
                + ". Run them as root on Linux (in a container: --privileged, or --cap-add SYS_ADMIN --cap-add LINUX_IMMUTABLE)";
        if (System.getenv("CI") != null) throw new AssertionError(message + " — CI is set, so this fails instead of skipping");
        Assumptions.abort(message);
    }

    /** Runs a command; null if it succeeded, else its output and exit code. */
    static String run(String... cmd) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException notThere) {
            return cmd[0] + " is not available: " + notThere.getMessage();
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return String.join(" ", cmd) + " did not finish";
        }
        return p.exitValue() == 0 ? null : String.join(" ", List.of(cmd)) + ": exit " + p.exitValue() + (out.isEmpty() ? "" : ": " + out);
    }
}
