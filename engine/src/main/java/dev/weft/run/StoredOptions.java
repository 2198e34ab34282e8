package dev.weft.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.WeftException;
import dev.weft.workflow.Overrides;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A run's options as kept in the store, so that `weft resume` continues with the same ones. */
final class StoredOptions {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StoredOptions() {}

    static String write(RunOptions o) {
        ObjectNode n = JSON.createObjectNode();
        n.put("concurrency", o.concurrency());
        if (o.limit() != null) n.put("limit", o.limit());
        n.put("cache_mode", o.cacheMode().name());
        n.put("simulate", o.simulate());
        o.overrides().sets().forEach(n.withArray("set")::add);
        o.overrides().models().forEach(n.withArray("model")::add);
        return n.toString();
    }

    static RunOptions read(String json, Map<String, String> environment) {
        try {
            JsonNode n = JSON.readTree(json);
            List<String> sets = new ArrayList<>();
            n.path("set").forEach(v -> sets.add(v.asText()));
            List<String> models = new ArrayList<>();
            n.path("model").forEach(v -> models.add(v.asText()));
            return new RunOptions(n.path("concurrency").asInt(RunOptions.DEFAULT_CONCURRENCY),
                    n.has("limit") ? n.get("limit").asLong() : null,
                    CacheMode.valueOf(n.path("cache_mode").asText("USE")),
                    n.path("simulate").asBoolean(false), new Overrides(sets, models), environment);
        } catch (IOException | IllegalArgumentException e) {
            throw new WeftException("the stored options of this run are unreadable: " + e.getMessage(), e);
        }
    }
}
