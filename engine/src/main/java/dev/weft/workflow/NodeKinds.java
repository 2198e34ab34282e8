package dev.weft.workflow;

import dev.weft.WeftException;
import dev.weft.spi.Format;
import dev.weft.spi.NodeKind;
import dev.weft.spi.Sink;
import dev.weft.spi.SourceFormat;
import dev.weft.spi.Tool;
import dev.weft.spi.ToolSet;
import dev.weft.tool.MethodTools;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Everything the plugin interfaces ({@code dev.weft.spi}) find on a class path, by name: node
 * kinds, tools (also the {@code @Tool} methods of each {@link ToolSet}), source formats, sinks and
 * output formats. The built-in ones are registered exactly like a plugin's, through
 * {@link ServiceLoader}; a plugin jar is added by loading from a class loader that sees it (see
 * {@link #load(ClassLoader)}). Two parts of one sort with one name are an error. Immutable after
 * creation; thread-safe.
 */
public final class NodeKinds {
    public static final String DEFAULT_SINK = "jsonl";
    private final TreeMap<String, NodeKind> kinds = new TreeMap<>();
    private final TreeMap<String, Tool> tools = new TreeMap<>();
    private final LinkedHashMap<String, SourceFormat> sources = new LinkedHashMap<>();
    private final LinkedHashMap<String, Sink> sinks = new LinkedHashMap<>();
    private final LinkedHashMap<String, Format> formats = new LinkedHashMap<>();
    private final ClassLoader loader;

    private NodeKinds(ClassLoader loader) {
        this.loader = loader;
    }

    /**
     * What the class loader sees. Built-ins come first (a plugin's class loader asks its parent
     * first), so plugins add to them and cannot silently replace one.
     *
     * @throws WeftException when a plugin cannot be loaded, or two parts share a name
     */
    public static NodeKinds load(ClassLoader loader) {
        NodeKinds k = new NodeKinds(loader);
        k.register(NodeKind.class, NodeKind::name, k.kinds, "node kinds");
        k.register(Tool.class, Tool::name, k.tools, "tools");
        for (ToolSet set : services(ToolSet.class, loader)) {
            for (Tool t : MethodTools.of(set)) add(k.tools, t.name(), t, "tools");
        }
        k.register(SourceFormat.class, SourceFormat::name, k.sources, "source formats");
        k.register(Sink.class, Sink::name, k.sinks, "sinks");
        k.register(Format.class, Format::name, k.formats, "output formats");
        Map<String, String> claimed = new LinkedHashMap<>();
        for (Sink s : k.sinks.values()) {
            for (String ext : s.extensions()) {
                String previous = claimed.putIfAbsent(ext.toLowerCase(Locale.ROOT), s.name());
                if (previous != null) throw new WeftException("sinks '" + previous + "' and '" + s.name() + "' both write " + ext + " files");
            }
        }
        return k;
    }

    /** What the engine's own class loader sees (the built-ins, and plugins on the class path); loaded once. */
    public static NodeKinds builtIn() {
        return BuiltIn.KINDS;
    }

    private static final class BuiltIn {
        static final NodeKinds KINDS = load(NodeKinds.class.getClassLoader());
    }

    private <T> void register(Class<T> type, Function<T, String> name, Map<String, T> into, String what) {
        for (T part : services(type, loader)) add(into, name.apply(part), part, what);
    }

    private static <T> void add(Map<String, T> into, String name, T part, String what) {
        T previous = into.putIfAbsent(name, part);
        if (previous != null && previous.getClass() != part.getClass()) {
            throw new WeftException("two " + what + " are named '" + name + "': " + previous.getClass().getName() + " and "
                    + part.getClass().getName() + "; remove one of the plugins, or rename one");
        }
    }

    private static <T> List<T> services(Class<T> type, ClassLoader loader) {
        List<T> out = new ArrayList<>();
        try {
            for (T t : ServiceLoader.load(type, loader)) out.add(t);
        } catch (ServiceConfigurationError | LinkageError e) {
            throw new WeftException("a plugin's " + type.getSimpleName() + " cannot be loaded: " + e.getMessage()
                    + (e.getCause() == null ? "" : " (" + e.getCause() + ")") + "; check the jars in the plugin folder");
        }
        return out;
    }

    /** The class loader the parts came from (built-ins and plugins). */
    public ClassLoader classLoader() {
        return loader;
    }

    public NodeKind get(String name) {
        return kinds.get(name);
    }

    public Collection<NodeKind> all() {
        return Collections.unmodifiableCollection(kinds.values());
    }

    /** Tools by name, sorted. */
    public Map<String, Tool> tools() {
        return Collections.unmodifiableMap(tools);
    }

    /** Output formats by name, built-ins first. */
    public Map<String, Format> formats() {
        return Collections.unmodifiableMap(formats);
    }

    public Format format(String name) {
        return formats.get(name);
    }

    /** Source formats by name, built-ins first. */
    public Map<String, SourceFormat> sourceFormats() {
        return Collections.unmodifiableMap(sources);
    }

    public SourceFormat sourceFormat(String name) {
        return sources.get(name);
    }

    /** The source format whose extension ends the file's name; null if none does. */
    public SourceFormat sourceFormatFor(String fileName) {
        String lower = fileName.toLowerCase(Locale.ROOT);
        for (SourceFormat f : sources.values()) {
            for (String ext : f.extensions()) if (lower.endsWith(ext.toLowerCase(Locale.ROOT))) return f;
        }
        return null;
    }

    /** Sinks by name, built-ins first. */
    public Map<String, Sink> sinks() {
        return Collections.unmodifiableMap(sinks);
    }

    /** The sink that writes this file: the one whose extension ends its name, else the default JSONL sink. */
    public Sink sinkFor(Path path) {
        String lower = path.getFileName() == null ? "" : path.getFileName().toString().toLowerCase(Locale.ROOT);
        for (Sink s : sinks.values()) {
            for (String ext : s.extensions()) if (lower.endsWith(ext.toLowerCase(Locale.ROOT))) return s;
        }
        Sink d = sinks.get(DEFAULT_SINK);
        if (d == null) throw new WeftException("no '" + DEFAULT_SINK + "' sink is registered; the engine jar is incomplete");
        return d;
    }
}
