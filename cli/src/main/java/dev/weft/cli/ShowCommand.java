package dev.weft.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.report.QualityReport;
import dev.weft.run.StoredWorkflow;
import dev.weft.store.RunRow;
import dev.weft.store.Store;
import dev.weft.workflow.Overrides;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "show", mixinStandardHelpOptions = true,
        description = {"Summarise a run: status, records, and per node the visits, calls, cache hits, retries, failures, latency, tokens and cost.",
                "With --quality: judge score distributions, text lengths, distinct-n diversity, filter and failure rates."})
final class ShowCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN", description = "The run id (or a unique prefix).")
    String run;

    @Option(names = "--quality", description = "Print the run's quality report instead of the summary.")
    boolean quality;

    @Option(names = "--json", description = "With --quality: print the report as JSON.")
    boolean json;

    @Mixin
    StoreOptions storeOptions;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (json && !quality) throw new UserInputException("--json goes with --quality");
        var out = spec.commandLine().getOut();
        try (Store store = storeOptions.openExisting()) {
            String id = StoreOptions.resolveRun(store, run);
            if (!quality) {
                Summary.print(out, store, id);
                return Weft.OK;
            }
            RunRow row = store.run(id).orElseThrow();
            QualityReport report = QualityReport.of(store, id, StoredWorkflow.load(Weft.loader(), row, Overrides.NONE), row.counters());
            out.println(json ? new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(report.json()) : report.text());
            out.flush();
        }
        return Weft.OK;
    }
}
