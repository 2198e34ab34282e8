package dev.weft.cli;

import dev.weft.WeftException;
import dev.weft.template.TemplateEngine;
import dev.weft.workflow.InvalidWorkflowException;
import dev.weft.workflow.NodeKinds;
import dev.weft.workflow.Problem;
import dev.weft.workflow.WorkflowLoader;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code weft} command. Exit codes: 0 done, 1 the run could not complete, 2 invalid input. */
@Command(name = "weft", mixinStandardHelpOptions = true, versionProvider = Weft.Version.class,
        description = "Build synthetic training data with language models: workflows as YAML graphs, cached, resumable.",
        subcommands = {ValidateCommand.class, RunCommand.class, ResumeCommand.class, RunsCommand.class, ShowCommand.class,
                ExportCommand.class, SchemaCommand.class, ServeCommand.class, CommandLine.HelpCommand.class})
public final class Weft implements Runnable {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int INVALID = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        // The embedding runtime (DJL, behind dedup and retrieve) warns on every start that it finds no GPU: Weft runs it on the CPU.
        System.setProperty("org.slf4j.simpleLogger.log.ai.djl", "error");
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit code. */
    public static int execute(String... args) {
        return execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs the command line with the given output streams (tests capture them). */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Weft());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler(Weft::handle);
        cl.setParameterExceptionHandler((ex, a) -> {
            PrintWriter e = ex.getCommandLine().getErr();
            e.println("weft: " + ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, e);
            e.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            e.flush();
            return INVALID;
        });
        return cl.execute(args);
    }

    private static int handle(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        if (e instanceof InvalidWorkflowException iw) {
            for (Problem p : iw.problems()) err.println(p);
            err.println(iw.problems().size() == 1 ? "1 problem" : iw.problems().size() + " problems");
            err.flush();
            return INVALID;
        }
        if (e instanceof UserInputException) {
            err.println("weft: " + e.getMessage());
            err.flush();
            return INVALID;
        }
        if (e instanceof WeftException) {
            err.println("weft: " + e.getMessage());
            err.flush();
            return FAILED;
        }
        err.println("weft: unexpected error: " + e);
        err.println("This is a bug in Weft; please report it with the command you ran.");
        err.flush();
        return FAILED;
    }

    static WorkflowLoader loader() {
        return new WorkflowLoader(NodeKinds.builtIn(), new TemplateEngine());
    }

    /** A loader that knows the built-in parts and these (plugins'). */
    static WorkflowLoader loader(NodeKinds kinds) {
        return new WorkflowLoader(kinds, new TemplateEngine());
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        public String[] getVersion() {
            return new String[] {"weft " + dev.weft.Version.CURRENT};
        }
    }
}
