package dev.weft.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.store.Counters;
import dev.weft.store.RecordRow;
import dev.weft.store.RecordStatus;
import dev.weft.store.RunRow;
import dev.weft.store.RunStatus;
import dev.weft.store.StepRow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A record's trace is in the order it walked the graph, even when its steps started in the same millisecond. */
class TraceOrderTest {
    @Test
    void stepsThatStartedTogetherAreOrderedByTheWalkThroughTheGraph(@TempDir Path dir) throws Exception {
        try (Dash dash = Dash.start(dir)) {
            String path = dash.workflow().toString();
            long t = System.currentTimeMillis();
            dash.store.createRun(new RunRow("20260101-000000-ord1", "dash-qa", path, "h", Dash.write(Map.of(path, Files.readString(dash.workflow()))),
                    "{}", RunStatus.COMPLETED, true, t, t, t, null, 1L, Counters.ZERO, null, RunRow.thisProcess()));
            // question, answer, grade (score low), refine, grade, long_enough: all in one millisecond, stored out of order
            String[][] walk = {{"long_enough", "0"}, {"grade", "1"}, {"refine", "0"}, {"question", "0"}, {"grade", "0"}, {"answer", "0"}};
            for (String[] s : walk) {
                dash.store.step(new StepRow("20260101-000000-ord1", 0, s[0], Integer.parseInt(s[1]), "llm", t, 0, 0, 0, 0, 0, 0, 0, List.of(), null));
            }
            dash.store.recordFinished(new RecordRow("20260101-000000-ord1", 0, "t000", RecordStatus.DONE, "{}", null, null));
            dash.store.flush();
            JsonNode trace = dash.json("/api/runs/20260101-000000-ord1/records/0");
            List<String> order = new ArrayList<>();
            List<String> next = new ArrayList<>();
            for (JsonNode s : trace.get("steps")) {
                order.add(s.get("node").asText() + s.get("visit").asInt());
                next.add(s.get("next").path("to").asText());
            }
            assertEquals(List.of("question0", "answer0", "grade0", "refine0", "grade1", "long_enough0"), order);
            assertEquals(List.of("answer", "grade", "refine", "grade", "long_enough", "END"), next);
            assertEquals("grade.score < 7", trace.get("steps").get(2).get("next").get("when").asText());
        }
    }
}
