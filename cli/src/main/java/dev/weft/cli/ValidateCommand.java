package dev.weft.cli;

import dev.weft.workflow.InvalidWorkflowException;
import dev.weft.workflow.Overrides;
import dev.weft.workflow.Problem;
import dev.weft.workflow.Workflow;
import dev.weft.workflow.WorkflowLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Check workflow files without running them; print every problem as file:line:col: message.")
final class ValidateCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Workflow files.")
    List<Path> files;

    @Option(names = "--set", paramLabel = "PATH=VALUE", description = "Override a workflow value, e.g. --set source.generate=10")
    List<String> sets = new ArrayList<>();

    @Option(names = "--model", paramLabel = "PROFILE.KEY=VALUE", description = "Override a model profile value.")
    List<String> models = new ArrayList<>();

    @Mixin
    StoreOptions store; // validate never opens the store; --db places the plugin folder (.weft/plugins)

    @Mixin
    PluginOptions plugins;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        WorkflowLoader loader = Weft.loader(plugins.kinds(store.db));
        int problems = 0;
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        for (Path f : files) {
            try {
                Workflow wf = loader.load(f, new Overrides(sets, models));
                out.println(f + ": ok (" + wf.name() + ": " + wf.nodes().size() + " nodes, " + wf.edges().size() + " edges)");
            } catch (InvalidWorkflowException e) {
                for (Problem p : e.problems()) err.println(p);
                problems += e.problems().size();
            }
        }
        out.flush();
        err.flush();
        if (problems > 0) {
            err.println(problems == 1 ? "1 problem" : problems + " problems");
            return Weft.INVALID;
        }
        return Weft.OK;
    }
}
