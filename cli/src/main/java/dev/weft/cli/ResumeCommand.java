package dev.weft.cli;

import dev.weft.run.Runner;
import dev.weft.store.RunRow;
import dev.weft.store.RunStatus;
import dev.weft.store.Store;
import dev.weft.template.TemplateEngine;
import dev.weft.workflow.Overrides;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "resume", mixinStandardHelpOptions = true,
        description = {"Continue a run that was interrupted, killed or failed. Records already done are not redone;",
                "every step that finished before is read from the cache, so no finished model call is paid twice."})
final class ResumeCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN", description = "The run id (or a unique prefix), as `weft runs` shows it.")
    String run;

    @Option(names = "--model", paramLabel = "PROFILE.KEY=VALUE", description = "Override a model profile value, e.g. a new base_url.")
    List<String> models = new ArrayList<>();

    @Option(names = "--concurrency", paramLabel = "N", description = "Records in flight at once (default: as the run started).")
    Integer concurrency;

    @Option(names = {"-q", "--quiet"}, description = "No progress display.")
    boolean quiet;

    @Mixin
    StoreOptions storeOptions;

    @Mixin
    PluginOptions plugins;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (concurrency != null && concurrency < 1) throw new UserInputException("--concurrency must be at least 1");
        try (Store store = storeOptions.openExisting()) {
            String id = StoreOptions.resolveRun(store, run);
            RunRow row = store.run(id).orElseThrow();
            if (row.status() == RunStatus.COMPLETED) {
                spec.commandLine().getOut().println("run " + id + " already completed; nothing to resume (`weft show " + id + "`)");
                spec.commandLine().getOut().flush();
                return Weft.OK;
            }
            Runner runner = new Runner(Weft.loader(plugins.kinds(storeOptions.db)), new TemplateEngine(), store);
            return RunCommand.Execution.run(spec, store, runner, row.workflowName(), quiet,
                    monitor -> runner.resume(id, new Overrides(List.of(), models), concurrency, System.getenv(), monitor));
        }
    }
}
