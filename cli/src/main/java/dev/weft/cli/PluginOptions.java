package dev.weft.cli;

import dev.weft.workflow.NodeKinds;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/**
 * Plugin jars: every {@code *.jar} in the {@code plugins} folder beside the store
 * ({@code .weft/plugins} for the default {@code --db}) and in each {@code --plugins DIR}, loaded by
 * one class loader whose parent is Weft's own, so that the SPI finds their node kinds, tools,
 * source formats, sinks and output formats next to the built-in ones.
 */
final class PluginOptions {
    static final String FOLDER = "plugins";

    @Option(names = "--plugins", paramLabel = "DIR",
            description = "A folder of plugin jars (node kinds, tools, formats...) to load, besides the `plugins` folder beside the store"
                    + " (.weft/plugins by default). May be repeated.")
    List<Path> dirs = new ArrayList<>();

    /** The built-in parts and those of every plugin jar found for this store. */
    NodeKinds kinds(Path db) {
        return load(db, dirs);
    }

    static NodeKinds load(Path db, List<Path> given) {
        List<Path> jars = new ArrayList<>();
        Path beside = db.toAbsolutePath().normalize().getParent();
        if (beside != null && Files.isDirectory(beside.resolve(FOLDER))) jars.addAll(jars(beside.resolve(FOLDER)));
        for (Path dir : given) {
            if (!Files.isDirectory(dir)) throw new UserInputException("--plugins " + dir + ": no such folder");
            for (Path jar : jars(dir)) if (!jars.contains(jar)) jars.add(jar);
        }
        if (jars.isEmpty()) return NodeKinds.builtIn();
        URL[] urls = new URL[jars.size()];
        for (int i = 0; i < urls.length; i++) {
            try {
                urls[i] = jars.get(i).toUri().toURL();
            } catch (MalformedURLException e) {
                throw new UserInputException("plugin " + jars.get(i) + " cannot be loaded: " + e.getMessage());
            }
        }
        // Never closed: its classes serve the command until the process ends.
        return NodeKinds.load(new URLClassLoader("weft-plugins", urls, Weft.class.getClassLoader()));
    }

    /** The jars of a folder, by name (so the load order, and a name clash's message, never vary). */
    private static List<Path> jars(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".jar") && Files.isRegularFile(f))
                    .map(f -> f.toAbsolutePath().normalize()).sorted().toList();
        } catch (IOException e) {
            throw new UserInputException("cannot list the plugin folder " + dir + ": " + e.getMessage());
        }
    }
}
