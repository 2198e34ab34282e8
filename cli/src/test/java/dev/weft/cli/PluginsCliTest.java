package dev.weft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.spi.NodeKind;
import dev.weft.testkit.PluginJar;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plugin jars through the command line: a real jar, compiled here, that adds a node kind and a
 * tool; picked up from {@code --plugins DIR} and from the {@code plugins} folder beside the store,
 * by validate, run and resume; unknown without it; a broken plugin is a clear message.
 */
class PluginsCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path built;

    private static Path jar;

    @TempDir
    Path dir;

    @BeforeAll
    static void buildPlugin() {
        jar = new PluginJar()
                .source("example.shout.ShoutKind", """
                        package example.shout;

                        import dev.weft.spi.Node;
                        import dev.weft.spi.NodeConfig;
                        import dev.weft.spi.NodeKind;
                        import dev.weft.spi.StepContext;
                        import dev.weft.spi.StepOutcome;
                        import dev.weft.template.FieldRead;
                        import dev.weft.template.Template;
                        import dev.weft.yaml.Shape;
                        import dev.weft.yaml.YamlValue;
                        import java.util.List;
                        import java.util.Locale;
                        import java.util.Set;

                        public final class ShoutKind implements NodeKind {
                            private static final Shape.Obj SHAPE = Shape.Obj.builder(null)
                                    .required("text", Shape.string("A template."))
                                    .optional("output", Shape.string("The field written."))
                                    .build();
                            public String name() { return "shout"; }
                            public int version() { return 1; }
                            public String description() { return "Upper-cases a text."; }
                            public Shape.Obj shape() { return SHAPE; }
                            public Node configure(NodeConfig config) {
                                Template text = config.template(config.yaml().get("text"));
                                String output = config.yaml().get("output") instanceof YamlValue.Scalar s ? s.text() : config.nodeName();
                                if (text == null) return null;
                                return new Node() {
                                    public List<FieldRead> reads() { return text.reads(); }
                                    public Set<String> writes() { return Set.of(output); }
                                    public StepOutcome run(StepContext ctx) {
                                        return StepOutcome.write(output, ctx.render(text).toUpperCase(Locale.ROOT));
                                    }
                                };
                            }
                        }
                        """)
                .source("example.shout.LengthTool", """
                        package example.shout;

                        import com.fasterxml.jackson.databind.JsonNode;
                        import com.fasterxml.jackson.databind.ObjectMapper;
                        import dev.weft.spi.Tool;
                        import dev.weft.spi.ToolContext;

                        public final class LengthTool implements Tool {
                            public String name() { return "length"; }
                            public String description() { return "The number of characters of a text."; }
                            public JsonNode parameters() {
                                try {
                                    return new ObjectMapper().readTree(
                                        "{\\"type\\":\\"object\\",\\"properties\\":{\\"text\\":{\\"type\\":\\"string\\"}},\\"required\\":[\\"text\\"]}");
                                } catch (Exception e) {
                                    throw new IllegalStateException(e);
                                }
                            }
                            public String call(JsonNode arguments, ToolContext context) {
                                return Integer.toString(arguments.get("text").asText().length());
                            }
                        }
                        """)
                .resource("META-INF/services/dev.weft.spi.NodeKind", "example.shout.ShoutKind\n")
                .resource("META-INF/services/dev.weft.spi.Tool", "example.shout.LengthTool\n")
                .classpathOf(NodeKind.class, JsonNode.class, com.fasterxml.jackson.core.TreeNode.class,
                        com.fasterxml.jackson.annotation.JsonIgnore.class)
                .build(built.resolve("shout-plugin.jar"));
    }

    private Path workflow() throws Exception {
        Path wf = dir.resolve("workflow.yaml");
        Files.writeString(wf, """
                name: plugin-workflow
                models:
                  m: {provider: simulated, model: sim}
                source: {generate: 3}
                nodes:
                  measure:
                    kind: agent
                    model: m
                    prompt: "How long is the word number {{ n | default(0) }}?"
                    tools: [length, calculator]
                    output: measured
                  loud:
                    kind: shout
                    text: "{{ measured.answer }}"
                edges:
                  - measure -> loud -> END
                sink:
                  path: out.jsonl
                  map: {messages: measured.messages, loud: loud}
                """);
        return wf;
    }

    @Test
    void validateFindsThePluginWithPluginsDirAndOnlyThen() throws Exception {
        Path wf = workflow();
        String db = dir.resolve("store/weft.db").toString();
        Cli.Result without = Cli.run("validate", wf.toString(), "--db", db);
        assertEquals(2, without.exit(), without.toString());
        assertTrue(without.err().contains("unknown tool 'length' (known: calculator, lookup)"), without.err());
        assertTrue(without.err().contains("node 'loud': unknown kind 'shout'"), without.err());

        Cli.Result with = Cli.run("validate", wf.toString(), "--db", db, "--plugins", jar.getParent().toString());
        assertEquals(0, with.exit(), with.toString());
        assertTrue(with.out().contains(": ok (plugin-workflow: 2 nodes, 2 edges)"), with.out());

        Cli.Result missing = Cli.run("validate", wf.toString(), "--db", db, "--plugins", dir.resolve("nowhere").toString());
        assertEquals(2, missing.exit(), missing.toString());
        assertTrue(missing.err().contains("--plugins " + dir.resolve("nowhere") + ": no such folder"), missing.err());
    }

    @Test
    void aJarInThePluginsFolderBesideTheStoreIsPickedUpByRunAndResume() throws Exception {
        Path wf = workflow();
        Path store = dir.resolve(".weft");
        Files.createDirectories(store.resolve("plugins"));
        Files.copy(jar, store.resolve("plugins/shout-plugin.jar"));
        String db = store.resolve("weft.db").toString();

        Cli.Result run = Cli.run("run", wf.toString(), "--simulate", "--db", db, "-q");
        assertEquals(0, run.exit(), run.toString());
        List<String> lines = Files.readAllLines(dir.resolve("out.jsonl"));
        assertEquals(3, lines.size());
        JsonNode first = JSON.readTree(lines.get(0));
        assertEquals("length", first.at("/messages/1/tool_calls/0/function/name").asText(), "the simulator calls the first tool: the plugin's");
        String length = first.at("/messages/2/content").asText();
        assertTrue(length.matches("\\d+"), "the plugin tool's answer: " + length);
        String answer = first.at("/messages/3/content").asText();
        assertEquals(answer.toUpperCase(java.util.Locale.ROOT), first.get("loud").asText(), "the plugin node kind ran");
        String output = Files.readString(dir.resolve("out.jsonl"));

        Cli.Result replay = Cli.run("run", wf.toString(), "--simulate", "--cache-only", "--db", db, "-q");
        assertEquals(0, replay.exit(), replay.toString());
        assertEquals(output, Files.readString(dir.resolve("out.jsonl")), "replayed from the cache, byte for byte");

        String runId = replay.out().lines().filter(l -> l.startsWith("run ")).findFirst().orElseThrow().split("\\s+")[1];
        Cli.Result resume = Cli.run("resume", runId, "--db", db, "-q");
        assertEquals(0, resume.exit(), resume.toString()); // a completed run: nothing to do, but the plugin loads
    }

    @Test
    void aBrokenPluginIsAClearMessage() throws Exception {
        Path plugins = dir.resolve("broken");
        new PluginJar().resource("META-INF/services/dev.weft.spi.Tool", "example.missing.NoSuchTool\n").build(plugins.resolve("broken.jar"));
        Cli.Result r = Cli.run("validate", workflow().toString(), "--db", dir.resolve("weft.db").toString(), "--plugins", plugins.toString());
        assertEquals(1, r.exit(), r.toString());
        assertTrue(r.err().startsWith("weft: a plugin's Tool cannot be loaded: "), r.err());
        assertTrue(r.err().contains("example.missing.NoSuchTool"), r.err());
        assertTrue(r.err().contains("check the jars in the plugin folder"), r.err());
    }
}
