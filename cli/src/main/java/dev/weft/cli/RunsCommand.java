package dev.weft.cli;

import dev.weft.store.RunRow;
import dev.weft.store.Store;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "runs", mixinStandardHelpOptions = true,
        description = "List runs, newest first: one per line, the run id first, then workflow, status, records and start time.")
final class RunsCommand implements Callable<Integer> {
    @Option(names = "--limit", paramLabel = "N", defaultValue = "50", description = "At most N runs (default ${DEFAULT-VALUE}).")
    int limit;

    @Mixin
    StoreOptions storeOptions;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        try (Store store = storeOptions.openExisting()) {
            for (RunRow r : store.runs(limit)) {
                var c = r.counters();
                out.println(String.format(Locale.ROOT, "%s  %-24s %-11s done %d · failed %d · filtered %d%s · %s%s",
                        r.id(), r.workflowName(), r.statusLabel(), c.done(), c.failed(), c.filtered(),
                        r.total() == null ? "" : " of " + r.total(), Format.time(r.createdAt()), r.simulated() ? " · simulated" : ""));
            }
        }
        out.flush();
        return Weft.OK;
    }
}
