package dev.weft.cli;

import dev.weft.run.CacheMode;
import dev.weft.run.RunMonitor;
import dev.weft.run.RunOptions;
import dev.weft.run.RunResult;
import dev.weft.run.Runner;
import dev.weft.store.Store;
import dev.weft.template.TemplateEngine;
import dev.weft.workflow.Overrides;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Check and run a workflow: every record through the graph, every step cached in the store.",
                "Exit 0 when the run completes (failed records are counted), 1 when it cannot complete, 2 for invalid input."})
final class RunCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "The workflow file.")
    Path file;

    @Option(names = "--simulate", description = "Answer every model with the offline simulator (no network, no cost).")
    boolean simulate;

    @Option(names = "--limit", paramLabel = "N", description = "Run only the first N records of the source.")
    Long limit;

    @Option(names = "--concurrency", paramLabel = "N", defaultValue = "" + RunOptions.DEFAULT_CONCURRENCY,
            description = "Records in flight at once (default ${DEFAULT-VALUE}); each model profile also has max_concurrency.")
    int concurrency;

    @Option(names = "--no-cache", description = "Call the models even where an answer is remembered (fresh samples).")
    boolean noCache;

    @Option(names = "--cache-only", description = "Make no model call at all: replay remembered answers; a miss fails that record.")
    boolean cacheOnly;

    @Option(names = "--set", paramLabel = "PATH=VALUE", description = "Override a workflow value, e.g. --set source.path=data/b.jsonl")
    List<String> sets = new ArrayList<>();

    @Option(names = "--model", paramLabel = "PROFILE.KEY=VALUE",
            description = "Override a model profile value, e.g. --model writer.base_url=http://127.0.0.1:8000/v1")
    List<String> models = new ArrayList<>();

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
        if (noCache && cacheOnly) throw new UserInputException("--no-cache and --cache-only contradict each other; pick one");
        if (concurrency < 1) throw new UserInputException("--concurrency must be at least 1");
        if (limit != null && limit < 0) throw new UserInputException("--limit cannot be negative");
        RunOptions options = RunOptions.defaults()
                .withConcurrency(concurrency)
                .withLimit(limit)
                .withSimulate(simulate)
                .withCacheMode(cacheOnly ? CacheMode.ONLY : noCache ? CacheMode.REFRESH : CacheMode.USE)
                .withOverrides(new Overrides(sets, models));
        try (Store store = storeOptions.open()) {
            TemplateEngine templates = new TemplateEngine();
            Runner runner = new Runner(Weft.loader(plugins.kinds(storeOptions.db)), templates, store);
            return Execution.run(spec, store, runner, taskName(file), quiet,
                    monitor -> runner.start(file, options, monitor));
        }
    }

    /** "quickstart/workflow.yaml" says more than "workflow.yaml" when every workflow file has that name. */
    private static String taskName(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        return parent == null || parent.getFileName() == null ? abs.getFileName().toString()
                : parent.getFileName() + "/" + abs.getFileName();
    }

    /** Shared by run and resume: progress, Ctrl-C, summary, exit code. */
    static final class Execution {
        private Execution() {}

        interface Body {
            RunResult run(RunMonitor monitor);
        }

        static int run(picocli.CommandLine.Model.CommandSpec spec, Store store, Runner runner, String task, boolean quiet, Body body) {
            RunMonitor monitor = new RunMonitor();
            Thread hook = new Thread(() -> {
                runner.interrupt();
                try {
                    runner.awaitFinished(15_000);
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            });
            Runtime.getRuntime().addShutdownHook(hook);
            RunResult result;
            try (Progress progress = new Progress(monitor, task, quiet)) {
                result = body.run(monitor);
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // Ctrl-C: the hook is running and waits for this run to record its end
                }
            }
            var out = spec.commandLine().getOut();
            Summary.print(out, store, result);
            if (result.output() != null) out.println("wrote     " + result.outputLines() + " lines to " + result.output());
            out.flush();
            return switch (result.status()) {
                case COMPLETED -> Weft.OK;
                case INTERRUPTED -> 130;
                default -> {
                    spec.commandLine().getErr().println("weft: the run did not complete: " + result.message());
                    spec.commandLine().getErr().println("resume it with: weft resume " + result.runId());
                    spec.commandLine().getErr().flush();
                    yield Weft.FAILED;
                }
            };
        }
    }
}
