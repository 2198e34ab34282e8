package dev.weft.node;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.spi.StepFailedException;
import dev.weft.spi.Tool;
import dev.weft.spi.ToolContext;
import dev.weft.spi.ToolException;
import dev.weft.workflow.Workflow;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Another workflow used as an agent's tool: the model's arguments (the {@code input} fields, all
 * strings) become one record, the workflow runs it in-process through the same engine (models,
 * step cache, cache mode), and the result is its {@code output} field, or every field it wrote as
 * JSON. A failure or a dropped record is an error result for the model. Immutable; thread-safe.
 */
final class WorkflowTool implements Tool {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String name;
    private final String description;
    private final Workflow workflow;
    private final String output;
    private final ObjectNode parameters;

    WorkflowTool(String name, String description, Map<String, String> inputs, Workflow workflow, String output) {
        this.name = name;
        this.description = description;
        this.workflow = workflow;
        this.output = output;
        ObjectNode p = JSON.createObjectNode();
        p.put("type", "object");
        ObjectNode props = p.putObject("properties");
        var required = p.putArray("required");
        inputs.forEach((field, about) -> {
            props.putObject(field).put("type", "string").put("description", about);
            required.add(field);
        });
        p.put("additionalProperties", false);
        this.parameters = p;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return description;
    }

    /** Derived from the workflow's files: an edited tool workflow is run again, not answered from old results. */
    @Override
    public int version() {
        return Integer.parseUnsignedInt(workflow.hash().substring(0, 7), 16);
    }

    @Override
    public JsonNode parameters() {
        return parameters;
    }

    @Override
    public String call(JsonNode arguments, ToolContext context) throws InterruptedException {
        Map<String, Object> fields = new LinkedHashMap<>();
        arguments.fields().forEachRemaining(e -> fields.put(e.getKey(), e.getValue().asText()));
        return run((AgentKind.CallContext) context, workflow, fields, output);
    }

    /**
     * Runs {@code workflow} for one call with {@code fields} as its record, and gives its
     * {@code output} field (text as it is, anything else as JSON), or, without one, every field it
     * wrote beyond {@code fields} as JSON. A failure or a dropped record is a {@link ToolException}.
     */
    static String run(AgentKind.CallContext call, Workflow workflow, Map<String, Object> fields, String output) throws InterruptedException {
        // The sub-record's id places it in this record's trajectory: its steps get their own cache keys.
        String id = call.recordId() + "/" + call.nodeName() + "/" + call.step().visit() + "/" + call.callId();
        Map<String, Object> state;
        try {
            state = call.step().runWorkflow(workflow, id, fields);
        } catch (StepFailedException e) {
            throw new ToolException(e.getMessage(), e);
        }
        try {
            if (output != null) {
                Object v = state.get(output);
                if (v == null) throw new ToolException("workflow '" + workflow.name() + "' wrote no field '" + output + "'");
                return v instanceof String s ? s : JSON.writeValueAsString(v);
            }
            Map<String, Object> written = new LinkedHashMap<>(state);
            written.keySet().removeAll(fields.keySet());
            return JSON.writeValueAsString(written);
        } catch (JsonProcessingException e) {
            throw new ToolException("the workflow's result cannot be written as JSON: " + e.getOriginalMessage(), e);
        }
    }
}
