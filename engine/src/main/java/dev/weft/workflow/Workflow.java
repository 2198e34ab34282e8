package dev.weft.workflow;

import dev.weft.model.ModelProfile;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A checked workflow, ready to run. Immutable and thread-safe.
 *
 * @param bundle the workflow file and every prompt file it read, by absolute path, exactly as
 *               read; a resumed run loads from it so that it continues the same workflow
 * @param hash   SHA-256 of the bundle
 * @param start  the first node every record visits
 */
public record Workflow(
        String name,
        String description,
        Path file,
        long seed,
        Map<String, ModelProfile> models,
        SourceDef source,
        Map<String, NodeDef> nodes,
        List<EdgeDef> edges,
        SinkDef sink,
        String start,
        Map<String, String> bundle,
        String hash) {

    /** The edges that leave a node, in their order (a loop, not a stream: every step of every record asks). */
    public List<EdgeDef> edgesFrom(String node) {
        List<EdgeDef> out = new java.util.ArrayList<>(2);
        for (EdgeDef e : edges) {
            if (e.from().equals(node)) out.add(e);
        }
        return java.util.Collections.unmodifiableList(out);
    }
}
