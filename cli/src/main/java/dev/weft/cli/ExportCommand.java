package dev.weft.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.WeftException;
import dev.weft.run.StoredWorkflow;
import dev.weft.sink.OutputFormat;
import dev.weft.store.RecordRow;
import dev.weft.store.RecordStatus;
import dev.weft.store.RunRow;
import dev.weft.store.Store;
import dev.weft.template.Expression;
import dev.weft.template.TemplateEngine;
import dev.weft.workflow.Location;
import dev.weft.workflow.NodeKinds;
import dev.weft.workflow.Overrides;
import dev.weft.workflow.Problems;
import dev.weft.workflow.Workflow;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a run's finished records (from the store, in source order) as JSONL in a dataset format.")
final class ExportCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Parameters(paramLabel = "RUN", description = "The run id (or a unique prefix).")
    String run;

    @Option(names = "--format", defaultValue = "raw", paramLabel = "FORMAT",
            description = "raw: the record (or the sink's map); sft: chat messages; dpo: prompt/chosen/rejected; multi-turn: a checked chat;"
                    + " tool-call: OpenAI tool-use messages and tools; oasst: OpenAssistant message trees; or a plugin's. Default: ${DEFAULT-VALUE}")
    String format;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The JSONL file to write.")
    Path out;

    @Option(names = "--map", paramLabel = "KEY=EXPR",
            description = "Output key and expression over the record, replacing the sink's map, e.g. --map instruction=question")
    List<String> map = new ArrayList<>();

    @Mixin
    StoreOptions storeOptions;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        NodeKinds kinds = PluginOptions.load(storeOptions.db, List.of()); // formats by name: built-ins and plugins
        if (kinds.format(format) == null) {
            throw new UserInputException("unknown --format '" + format + "' (use " + String.join(", ", kinds.formats().keySet()) + ")");
        }
        TemplateEngine templates = new TemplateEngine();
        try (Store store = storeOptions.openExisting()) {
            String id = StoreOptions.resolveRun(store, run);
            RunRow row = store.run(id).orElseThrow();
            Map<String, Expression> mapping = mapping(row, templates);
            OutputFormat of;
            try {
                of = new OutputFormat(kinds.format(format), mapping, templates);
            } catch (WeftException e) {
                throw new UserInputException(e.getMessage() + "; name the keys with --map KEY=EXPR");
            }
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            long written = 0;
            long unfit = 0;
            String firstUnfit = null;
            try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
                long after = -1;
                while (true) {
                    List<RecordRow> page = store.records(id, after, 1000);
                    if (page.isEmpty()) break;
                    for (RecordRow r : page) {
                        if (r.status() != RecordStatus.DONE) continue;
                        Map<String, Object> state = JSON.readValue(r.stateJson(), new TypeReference<LinkedHashMap<String, Object>>() {});
                        String line;
                        try {
                            line = JSON.writeValueAsString(of.apply(state, r.recordId()));
                        } catch (WeftException e) {
                            // One record that does not fit the format (or the --map) is left out and counted, not the whole export.
                            if (unfit++ == 0) firstUnfit = "record " + r.recordId() + ": " + e.getMessage();
                            continue;
                        }
                        w.write(line);
                        w.write('\n');
                        written++;
                    }
                    after = page.get(page.size() - 1).seq();
                }
            }
            spec.commandLine().getOut().println("wrote " + written + " records of run " + id + " to " + out + " (" + format + ")");
            spec.commandLine().getOut().flush();
            if (unfit > 0) {
                spec.commandLine().getErr().println("weft: " + unfit + (unfit == 1 ? " record was" : " records were") + " left out because "
                        + (unfit == 1 ? "it does" : "they do") + " not fit the format; the first: " + firstUnfit);
                spec.commandLine().getErr().flush();
            }
        }
        return Weft.OK;
    }

    private Map<String, Expression> mapping(RunRow row, TemplateEngine templates) throws IOException {
        Problems problems = new Problems();
        Map<String, Expression> m = new LinkedHashMap<>();
        if (map.isEmpty()) {
            Workflow wf = StoredWorkflow.load(Weft.loader(PluginOptions.load(storeOptions.db, List.of())), row, Overrides.NONE);
            if (wf.sink() != null) m.putAll(wf.sink().map());
            return m;
        }
        for (String spec : map) {
            int eq = spec.indexOf('=');
            if (eq <= 0) throw new UserInputException("--map takes KEY=EXPR, found '" + spec + "'");
            Expression e = templates.expression(spec.substring(eq + 1), Location.of("--map " + spec), problems);
            if (e != null) m.put(spec.substring(0, eq), e);
        }
        problems.throwIfAny();
        return m;
    }
}
