package dev.weft.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.run.RunOptions;
import dev.weft.store.RunStatus;
import dev.weft.testkit.FakeModelServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's API for a run whose records explode into children (some of them dropped by a
 * dedup): records listed in record order with children under their parent, paging through them,
 * a child's page with a link to its parent, a parent's page with its children.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LineageApiTest {
    Dash dash;
    FakeModelServer fake;
    String run;

    @BeforeAll
    void setUp(@TempDir Path dir) throws Exception {
        fake = FakeModelServer.start();
        dash = Dash.start(dir);
        Path wf = dash.explodeWorkflow(fake);
        var r = dash.runLikeCli(wf, RunOptions.defaults().withConcurrency(4));
        assertEquals(RunStatus.COMPLETED, r.status(), r.message());
        run = r.runId();
    }

    @AfterAll
    void tearDown() {
        dash.close();
        fake.close();
    }

    private static List<String> column(JsonNode records, String field) {
        List<String> out = new ArrayList<>();
        records.forEach(r -> out.add(r.path(field).asText()));
        return out;
    }

    @Test
    void recordsAreListedInRecordOrderWithChildrenUnderTheirParent() {
        JsonNode page = dash.json("/api/runs/" + run + "/records?limit=50");
        JsonNode records = page.get("records");
        assertEquals(List.of("0", "0/0", "0/1", "0/2", "1", "2", "2/0", "2/1"), column(records, "key"));
        assertEquals(List.of("t0", "t0/0", "t0/1", "t0/2", "t1", "t2", "t2/0", "t2/1"), column(records, "id"));
        assertEquals(List.of("exploded", "done", "done", "filtered", "filtered", "exploded", "done", "filtered"), column(records, "status"));
        assertEquals(3, records.get(0).get("children").asInt());
        assertEquals(1, records.get(1).get("depth").asInt());
        assertEquals("/1", records.get(2).get("path").asText());
        assertEquals("duplicate of t0/0 (exact)", records.get(3).get("error").asText());
        assertEquals("explode: no items", records.get(4).get("error").asText());
        assertEquals("duplicate of t0/1 (exact)", records.get(7).get("error").asText());
        assertFalse(page.has("next"));

        // Paging two at a time walks the same records, each once, even where a page ends inside a parent's children.
        List<String> keys = new ArrayList<>();
        String after = "-1";
        for (int i = 0; i < 10; i++) {
            JsonNode p = dash.json("/api/runs/" + run + "/records?limit=2&after=" + after);
            keys.addAll(column(p.get("records"), "key"));
            if (!p.has("next")) break;
            after = p.get("next").asText();
        }
        assertEquals(column(records, "key"), keys);

        assertEquals(List.of("0", "2"), column(dash.json("/api/runs/" + run + "/records?status=exploded").get("records"), "key"));
        assertEquals(List.of("0/0", "0/1", "0/2", "2/0", "2/1"),
                column(dash.json("/api/runs/" + run + "/records?node=unique").get("records"), "key"), "only the children reached unique");
        assertEquals(List.of("2/1"), column(dash.json("/api/runs/" + run + "/records?id=t2/1").get("records"), "key"));
        assertEquals(400, dash.get("/api/runs/" + run + "/records?after=3/x").statusCode());
    }

    @Test
    void aParentListsItsChildrenAndAChildLinksToItsParent() {
        JsonNode parent = dash.json("/api/runs/" + run + "/records/0");
        assertEquals("exploded", parent.get("record").get("status").asText());
        assertEquals("split", parent.get("record").get("node").asText());
        JsonNode l = parent.get("lineage");
        assertTrue(l.get("parent").isNull());
        assertEquals(3, l.get("children_count").asInt());
        assertEquals(List.of("0/0", "0/1", "0/2"), column(l.get("children"), "key"));
        assertEquals(List.of("t0/0", "t0/1", "t0/2"), column(l.get("children"), "id"));
        assertEquals(List.of("done", "done", "filtered"), column(l.get("children"), "status"));
        JsonNode steps = parent.get("steps");
        assertEquals(List.of("ask", "split"), column(steps, "node"));
        assertEquals(3, steps.get(1).get("next").get("exploded").asInt(), "the trace ends where the record fanned out");
        assertEquals(1, parent.get("next").asText().equals("0/0") ? 1 : 0, "the next record is its first child: " + parent.get("next"));

        JsonNode child = dash.json("/api/runs/" + run + "/records/0/1");
        assertEquals("t0/1", child.get("record").get("id").asText());
        assertEquals("0/1", child.get("record").get("key").asText());
        assertEquals("0", child.get("lineage").get("parent").get("key").asText());
        assertEquals("t0", child.get("lineage").get("parent").get("id").asText());
        assertEquals(1, child.get("lineage").get("index").asInt());
        assertEquals(0, child.get("lineage").get("source_position").asInt());
        assertEquals("0/0", child.get("previous").asText());
        assertEquals("0/2", child.get("next").asText());
        // Its own trace: the nodes after the explode, and its own fields.
        assertEquals(List.of("answer", "unique"), column(child.get("steps"), "node"));
        assertEquals("Where does the Nile begin?", child.get("record").get("state").get("question").asText());
        assertEquals(200, dash.get("/runs/" + run + "/records/0/1").statusCode(), "the child's page");
        assertEquals(404, dash.get("/api/runs/" + run + "/records/0/7").statusCode());
        assertEquals(400, dash.get("/api/runs/" + run + "/records/0/x").statusCode());

        JsonNode source = dash.json("/api/runs/" + run + "/records/1");
        assertTrue(source.get("lineage").get("parent").isNull());
        assertEquals(0, source.get("lineage").get("children").size());
        assertEquals(2, source.get("next").asInt(), "a source record's neighbours are numbers, as before");
    }
}
