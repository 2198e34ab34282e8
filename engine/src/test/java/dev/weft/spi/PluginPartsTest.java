package dev.weft.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.WeftException;
import dev.weft.run.RunMonitor;
import dev.weft.run.RunOptions;
import dev.weft.run.RunResult;
import dev.weft.run.Runner;
import dev.weft.store.RunStatus;
import dev.weft.store.Store;
import dev.weft.template.TemplateEngine;
import dev.weft.testkit.PluginJar;
import dev.weft.workflow.InvalidWorkflowException;
import dev.weft.workflow.NodeKinds;
import dev.weft.workflow.Overrides;
import dev.weft.workflow.WorkflowLoader;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SPI beyond node kinds and tools: the built-ins are registered through it, and a plugin jar
 * (compiled here) adds a source format, a sink and an output format that a whole run then uses,
 * chosen by name and by file extension. Two parts with one name are refused.
 */
class PluginPartsTest {
    @TempDir
    Path dir;

    @Test
    void theBuiltInsAreRegisteredThroughTheSpi() {
        NodeKinds k = NodeKinds.builtIn();
        assertTrue(k.all().stream().map(NodeKind::name).toList().containsAll(List.of("agent", "filter", "judge", "llm", "sample", "transform")));
        assertEquals(List.of("calculator", "lookup"), List.copyOf(k.tools().keySet()));
        assertEquals(List.of("jsonl", "json", "csv"), List.copyOf(k.sourceFormats().keySet()));
        assertEquals(List.of("raw", "sft", "dpo"), List.copyOf(k.formats().keySet()).subList(0, 3));
        assertEquals("jsonl", k.sinkFor(Path.of("out/anything.txt")).name(), "the default sink takes every other path");
        assertEquals("csv", k.sourceFormatFor("data/Products.CSV").name());
    }

    private Path pluginJar() {
        return new PluginJar()
                .source("example.parts.TsvSource", """
                        package example.parts;

                        import dev.weft.spi.SourceFormat;
                        import java.io.BufferedReader;
                        import java.io.IOException;
                        import java.nio.file.Files;
                        import java.nio.file.Path;
                        import java.util.LinkedHashMap;
                        import java.util.List;
                        import java.util.Map;

                        public final class TsvSource implements SourceFormat {
                            public String name() { return "tsv"; }
                            public List<String> extensions() { return List.of(".tsv"); }
                            public Rows open(Path file) throws IOException {
                                BufferedReader r = Files.newBufferedReader(file);
                                String[] header = r.readLine().split("\\t");
                                return new Rows() {
                                    String next = r.readLine();
                                    long line = 1;
                                    public boolean hasNext() { return next != null; }
                                    public Map<String, Object> next() {
                                        String[] cells = next.split("\\t");
                                        Map<String, Object> m = new LinkedHashMap<>();
                                        for (int i = 0; i < header.length; i++) m.put(header[i], i < cells.length ? cells[i] : "");
                                        try { next = r.readLine(); line++; } catch (IOException e) { throw new java.io.UncheckedIOException(e); }
                                        return m;
                                    }
                                    public String position() { return ":" + line; }
                                    public void close() throws IOException { r.close(); }
                                };
                            }
                        }
                        """)
                .source("example.parts.PairFormat", """
                        package example.parts;

                        import dev.weft.spi.Format;
                        import java.util.LinkedHashMap;
                        import java.util.List;
                        import java.util.Map;

                        public final class PairFormat implements Format {
                            public String name() { return "pair"; }
                            public String description() { return "{q, a} from question and answer."; }
                            public List<String> requiredKeys() { return List.of("question", "answer"); }
                            public Map<String, Object> apply(Map<String, Object> m) {
                                Map<String, Object> out = new LinkedHashMap<>();
                                out.put("q", m.get("question"));
                                out.put("a", m.get("answer"));
                                return out;
                            }
                        }
                        """)
                .source("example.parts.TextSink", """
                        package example.parts;

                        import dev.weft.spi.Sink;
                        import java.io.BufferedWriter;
                        import java.io.IOException;
                        import java.nio.file.Files;
                        import java.nio.file.Path;
                        import java.util.List;

                        public final class TextSink implements Sink {
                            public String name() { return "text"; }
                            public List<String> extensions() { return List.of(".txt"); }
                            public Writer open(Path path) throws IOException {
                                BufferedWriter w = Files.newBufferedWriter(path);
                                return new Writer() {
                                    long n;
                                    public void write(String line) throws IOException { w.write(++n + ". " + line + "\\n"); }
                                    public void flush() throws IOException { w.flush(); }
                                    public void close() throws IOException { w.close(); }
                                };
                            }
                        }
                        """)
                .resource("META-INF/services/dev.weft.spi.SourceFormat", "example.parts.TsvSource\n")
                .resource("META-INF/services/dev.weft.spi.Format", "example.parts.PairFormat\n")
                .resource("META-INF/services/dev.weft.spi.Sink", "example.parts.TextSink\n")
                .classpathOf(Format.class)
                .build(dir.resolve("plugins/parts.jar"));
    }

    @Test
    void aPluginsSourceFormatSinkAndOutputFormatRunAWholeWorkflow() throws Exception {
        NodeKinds kinds = NodeKinds.load(new URLClassLoader(new URL[] {pluginJar().toUri().toURL()}, getClass().getClassLoader()));
        Files.writeString(dir.resolve("questions.tsv"), "id\tquestion\nq1\tWhat is two and two?\nq2\tWhat is the capital of Peru?\n");
        Path wf = dir.resolve("workflow.yaml");
        Files.writeString(wf, """
                name: plugin-parts
                models:
                  m: {provider: simulated, model: sim}
                source: {path: questions.tsv, id: id}
                nodes:
                  answer:
                    kind: llm
                    model: m
                    prompt: "{{ question }}"
                edges:
                  - answer -> END
                sink: {path: out/pairs.txt, format: pair, map: {question: question, answer: answer, id: id}}
                """);
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            RunResult r = new Runner(new WorkflowLoader(kinds, new TemplateEngine()), new TemplateEngine(), store)
                    .start(wf, RunOptions.defaults(), new RunMonitor());
            assertEquals(RunStatus.COMPLETED, r.status(), r.message());
            assertEquals(2, r.counters().done());
        }
        List<String> lines = Files.readAllLines(dir.resolve("out/pairs.txt"));
        assertEquals(2, lines.size());
        assertTrue(lines.get(0).startsWith("1. {\"q\":\"What is two and two?\",\"a\":\""), lines.get(0));
        assertTrue(lines.get(1).startsWith("2. {\"q\":\"What is the capital of Peru?\""), lines.get(1));

        // Without the plugin the same workflow is refused, at the places that need it.
        InvalidWorkflowException e = assertThrows(InvalidWorkflowException.class,
                () -> new WorkflowLoader(NodeKinds.builtIn(), new TemplateEngine()).load(wf, Overrides.NONE));
        List<String> problems = e.problems().stream().map(p -> p.location().line() + ":" + p.location().column() + ": " + p.message()).toList();
        assertEquals(2, problems.size(), problems.toString());
        assertEquals("4:16: cannot tell the source format from 'questions.tsv'; add `format: jsonl`, `json` or `csv`", problems.get(0));
        assertTrue(problems.get(1).startsWith("12:37: `sink.format` must be one of raw, sft, dpo") && problems.get(1).endsWith(", found 'pair'"),
                problems.get(1));
    }

    @Test
    void twoPartsWithOneNameAreRefused() throws Exception {
        Path jar = new PluginJar()
                .source("example.clash.Calculator", """
                        package example.clash;

                        public final class Calculator implements dev.weft.spi.Tool {
                            public String name() { return "calculator"; }
                            public String description() { return "Another calculator."; }
                            public com.fasterxml.jackson.databind.JsonNode parameters() { return null; }
                            public String call(com.fasterxml.jackson.databind.JsonNode a, dev.weft.spi.ToolContext c) { return ""; }
                        }
                        """)
                .resource("META-INF/services/dev.weft.spi.Tool", "example.clash.Calculator\n")
                .classpathOf(Tool.class, JsonNode.class, com.fasterxml.jackson.core.TreeNode.class,
                        com.fasterxml.jackson.annotation.JsonIgnore.class)
                .build(dir.resolve("clash.jar"));
        WeftException e = assertThrows(WeftException.class,
                () -> NodeKinds.load(new URLClassLoader(new URL[] {jar.toUri().toURL()}, getClass().getClassLoader())));
        assertEquals("two tools are named 'calculator': dev.weft.tool.CalculatorTool and example.clash.Calculator; remove one of the"
                + " plugins, or rename one", e.getMessage());
    }
}
