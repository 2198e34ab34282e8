package dev.weft.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.workflow.Language;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

@Command(name = "schema", mixinStandardHelpOptions = true,
        description = "Print the workflow language as a JSON Schema (for editor completion and checking).")
final class SchemaCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    StoreOptions store; // accepted like on every command; the schema needs no store

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        String json = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(Language.jsonSchema(PluginOptions.load(store.db, java.util.List.of())));
        spec.commandLine().getOut().println(json);
        spec.commandLine().getOut().flush();
        return Weft.OK;
    }
}
