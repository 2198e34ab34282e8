package dev.weft.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.WeftException;
import dev.weft.store.RunRow;
import dev.weft.workflow.Overrides;
import dev.weft.workflow.Workflow;
import dev.weft.workflow.WorkflowLoader;
import java.nio.file.Path;
import java.util.Map;

/** A run's workflow as the run saw it: loaded from the snapshot kept in the store. Stateless. */
public final class StoredWorkflow {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StoredWorkflow() {}

    public static Workflow load(WorkflowLoader loader, RunRow run, Overrides overrides) {
        Map<String, String> bundle;
        try {
            bundle = JSON.readValue(run.bundle(), new TypeReference<Map<String, String>>() {});
        } catch (JsonProcessingException e) {
            throw new WeftException("the stored workflow of run " + run.id() + " is unreadable: " + e.getOriginalMessage(), e);
        }
        return loader.load(Path.of(run.workflowPath()), bundle, overrides);
    }
}
