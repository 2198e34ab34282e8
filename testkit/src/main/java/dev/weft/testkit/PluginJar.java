package dev.weft.testkit;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Builds a real plugin jar in a test: Java sources compiled with the JDK's compiler (against the
 * jars or folders the given classes come from), plus resources such as
 * {@code META-INF/services/...} files. Not thread-safe; one builder makes one jar.
 */
public final class PluginJar {
    private final Map<String, String> sources = new LinkedHashMap<>();
    private final Map<String, String> resources = new LinkedHashMap<>();
    private final Set<Path> classpath = new LinkedHashSet<>();

    /** A Java source file, by its class's fully qualified name. */
    public PluginJar source(String className, String code) {
        sources.put(className, code);
        return this;
    }

    /** A resource, e.g. {@code META-INF/services/dev.weft.spi.Tool} with one class name per line. */
    public PluginJar resource(String path, String content) {
        resources.put(path, content);
        return this;
    }

    /** Compiles against the jar or class folder each class was loaded from. */
    public PluginJar classpathOf(Class<?>... classes) {
        for (Class<?> c : classes) {
            try {
                classpath.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()));
            } catch (URISyntaxException | NullPointerException e) {
                throw new IllegalArgumentException("cannot tell where " + c.getName() + " was loaded from", e);
            }
        }
        return this;
    }

    /** Compiles the sources (Java 21) and writes the jar; a compile error throws with the compiler's messages. */
    public Path build(Path jar) {
        try {
            Path work = Files.createTempDirectory("plugin-jar");
            Path src = Files.createDirectories(work.resolve("src"));
            Path classes = Files.createDirectories(work.resolve("classes"));
            List<Path> files = new ArrayList<>();
            for (Map.Entry<String, String> e : sources.entrySet()) {
                Path f = src.resolve(e.getKey().replace('.', '/') + ".java");
                Files.createDirectories(f.getParent());
                Files.writeString(f, e.getValue(), StandardCharsets.UTF_8);
                files.add(f);
            }
            if (!files.isEmpty()) compile(files, classes);
            for (Map.Entry<String, String> e : resources.entrySet()) {
                Path f = classes.resolve(e.getKey());
                Files.createDirectories(f.getParent());
                Files.writeString(f, e.getValue(), StandardCharsets.UTF_8);
            }
            if (jar.toAbsolutePath().getParent() != null) Files.createDirectories(jar.toAbsolutePath().getParent());
            try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out); Stream<Path> all = Files.walk(classes)) {
                for (Path p : all.filter(Files::isRegularFile).sorted().toList()) {
                    j.putNextEntry(new JarEntry(classes.relativize(p).toString().replace('\\', '/')));
                    j.write(Files.readAllBytes(p));
                    j.closeEntry();
                }
            }
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void compile(List<Path> files, Path classes) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) throw new IllegalStateException("no Java compiler: run the tests on a JDK");
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager fm = javac.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
            List<String> options = new ArrayList<>(List.of("--release", "21", "-parameters", "-proc:none", "-d", classes.toString()));
            if (!classpath.isEmpty()) {
                options.add("-classpath");
                options.add(String.join(java.io.File.pathSeparator, classpath.stream().map(Path::toString).toList()));
            }
            boolean ok = javac.getTask(null, fm, diagnostics, options, null, fm.getJavaFileObjectsFromPaths(files)).call();
            if (!ok) {
                StringBuilder sb = new StringBuilder("the plugin sources do not compile:");
                diagnostics.getDiagnostics().forEach(d -> sb.append('\n').append(d));
                throw new IllegalStateException(sb.toString());
            }
        }
    }
}
