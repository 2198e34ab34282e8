package dev.weft.node;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.internal.Digests;
import dev.weft.spi.Tool;
import dev.weft.spi.ToolContext;
import dev.weft.workflow.Workflow;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A function that one record defines (an agent's {@code tools: [{from: EXPR, workflow: FILE}]}):
 * the model sees it under its own name, description and parameters, and a call runs the
 * simulator workflow for one record holding {@code name}, {@code arguments} (the call's arguments
 * as JSON text) and {@code spec} (the function's spec as JSON text); the result is its
 * {@code output} field, or every field it wrote, as JSON. Immutable; thread-safe.
 */
final class RecordTool implements Tool {
    /** The fields the simulator workflow's records hold, in the order messages name them. */
    static final List<String> INPUTS = List.of("name", "arguments", "spec");
    private final FunctionSpecs.Spec spec;
    private final String specJson;
    private final Workflow workflow;
    private final String output;

    RecordTool(FunctionSpecs.Spec spec, Workflow workflow, String output) {
        this.spec = spec;
        this.specJson = spec.json();
        this.workflow = workflow;
        this.output = output;
    }

    @Override
    public String name() {
        return spec.name();
    }

    @Override
    public String description() {
        return spec.description();
    }

    @Override
    public JsonNode parameters() {
        return spec.parameters();
    }

    /** From the simulator workflow's files, as for a workflow tool; the spec goes into {@link #cacheName()}. */
    @Override
    public int version() {
        return Integer.parseUnsignedInt(workflow.hash().substring(0, 7), 16);
    }

    /**
     * What the step cache knows this tool's results by: its name, the simulator workflow's version
     * and a digest of its whole spec. Another record's {@code search} with other parameters, or this
     * record's after an edit, is another tool, never answered from this one's results.
     */
    String cacheName() {
        byte[] digest = Digests.sha256(specJson.getBytes(StandardCharsets.UTF_8));
        return spec.name() + "@" + version() + "#" + HexFormat.of().formatHex(digest, 0, 16);
    }

    @Override
    public String call(JsonNode arguments, ToolContext context) throws InterruptedException {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("name", spec.name());
        fields.put("arguments", arguments.toString());
        fields.put("spec", specJson);
        return WorkflowTool.run((AgentKind.CallContext) context, workflow, fields, output);
    }
}
