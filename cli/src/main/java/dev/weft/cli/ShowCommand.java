package dev.weft.cli;

import dev.weft.store.Store;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "show", mixinStandardHelpOptions = true,
        description = "Summarise a run: status, records, and per node the visits, calls, cache hits, retries, failures, latency, tokens and cost.")
final class ShowCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN", description = "The run id (or a unique prefix).")
    String run;

    @Mixin
    StoreOptions storeOptions;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        try (Store store = storeOptions.openExisting()) {
            String id = StoreOptions.resolveRun(store, run);
            Summary.print(spec.commandLine().getOut(), store, id);
        }
        return Weft.OK;
    }
}
