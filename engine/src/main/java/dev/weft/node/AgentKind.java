package dev.weft.node;

import dev.weft.internal.Utf16;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.weft.model.ChatMessage;
import dev.weft.model.ModelProfile;
import dev.weft.model.ModelRequest;
import dev.weft.model.ModelResponse;
import dev.weft.model.ToolCall;
import dev.weft.model.ToolSpec;
import dev.weft.spi.Node;
import dev.weft.spi.NodeConfig;
import dev.weft.spi.AbstractNodeKind;
import dev.weft.spi.StepContext;
import dev.weft.spi.StepFailedException;
import dev.weft.spi.StepOutcome;
import dev.weft.spi.Tool;
import dev.weft.spi.ToolConfig;
import dev.weft.spi.ToolContext;
import dev.weft.template.Expression;
import dev.weft.template.FieldRead;
import dev.weft.workflow.Location;
import dev.weft.workflow.Problems;
import dev.weft.workflow.Workflow;
import dev.weft.yaml.Shape;
import dev.weft.yaml.ShapeChecker;
import dev.weft.yaml.YamlValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * {@code kind: agent}: a model that calls tools over several steps. Each step is one model call
 * offered the node's tools; when the answer calls tools, each call is run (its result, or its
 * error, goes back to the model as a {@code tool} message) and the model is asked again, until it
 * answers in text or {@code max_steps} model calls are spent (then the record fails). Tools are
 * plugin tools ({@link Tool}, found through the SPI) or other workflow files run for one record.
 *
 * <p>Every model call goes through the step cache with the whole conversation so far (tool calls
 * and results included) as its request, and every tool call's result is remembered too, so a
 * resumed or replayed run reproduces the trajectory without calling a model or a tool.
 *
 * <p>The node writes {@code {messages, tools, answer, steps}} to {@code output}: the conversation
 * in OpenAI chat format (assistant {@code tool_calls}, {@code tool} messages), the tools offered
 * in OpenAI's {@code tools} format, the final answer's text and the number of model calls.
 * Immutable and thread-safe.
 */
public final class AgentKind extends AbstractNodeKind {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonSchemaFactory SCHEMAS = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    static final int DEFAULT_MAX_STEPS = 10;
    private static final String TOOL_NAME = "[A-Za-z0-9_-]{1,64}";
    private static final Shape.Obj SHAPE = Shape.Obj.builder(null)
            .required("model", Shape.string("A model profile's name."))
            .required("prompt", Prompt.shape("The task."))
            .required("tools", Shape.listOf(Shape.either("A tool's name, or a mapping",
                    Shape.string("A tool's name, e.g. calculator."),
                    Shape.any("A tool with settings ({tool: NAME, name:, description:, ...its settings}), a workflow used as a tool"
                            + " ({workflow: FILE, name:, description:, input: {field: description}, output: FIELD}), or the functions"
                            + " a record defines ({from: EXPR, workflow: FILE, output: FIELD}).")),
                    "The tools the model may call."))
            .optional("max_steps", Shape.integer(1L, 100L, "Most model calls for one record (default " + DEFAULT_MAX_STEPS + ")."))
            .optional("output", Shape.string("The field the conversation and answer are written to (default: the node's name)."))
            .build();
    private static final Shape.Obj NAMED_TOOL = Shape.Obj.builder(null)
            .required("tool", Shape.string("The tool's name."))
            .optional("name", Shape.string("The name the model sees (default: the tool's)."))
            .optional("description", Shape.string("What the model reads about the tool (default: the tool's)."))
            .build();
    private static final Shape.Obj WORKFLOW_TOOL = Shape.Obj.builder(null)
            .required("workflow", Shape.string("A workflow file, relative to this one."))
            .required("name", Shape.string("The tool's name for the model."))
            .required("description", Shape.string("What the tool does, for the model."))
            .required("input", Shape.mapOf(Shape.string(null), "The record fields the model gives, each with a description for the model."))
            .optional("output", Shape.string("The field whose value is the result (default: every field the workflow wrote, as JSON)."))
            .build();
    private static final Shape.Obj RECORD_TOOLS = Shape.Obj.builder(null)
            .required("from", Shape.string("An expression giving this record's functions: a list (or JSON text of one) of OpenAI function"
                    + " specs {name, description, parameters}."))
            .required("workflow", Shape.string("The workflow that answers every call of these functions, relative to this one; its records"
                    + " hold name, arguments (JSON text) and spec (JSON text)."))
            .optional("output", Shape.string("The field of that workflow whose value is the result (default: every field it wrote, as JSON)."))
            .build();

    public AgentKind() {
        super("agent", 1,
                "A model calls tools (plugin tools or other workflows) over several steps; the conversation and answer are written to `output`.",
                SHAPE);
    }

    @Override
    public Node configure(NodeConfig config) {
        YamlValue.Mapping y = config.yaml();
        ModelProfile model = config.model(y.get("model"));
        Prompt prompt = Prompt.read(config, y.get("prompt"));
        int maxSteps = y.get("max_steps") instanceof YamlValue.Scalar s ? ((Number) s.toPlain()).intValue() : DEFAULT_MAX_STEPS;
        String output = y.get("output") instanceof YamlValue.Scalar s ? s.text() : config.nodeName();
        List<Entry> tools = tools(config, (YamlValue.Sequence) y.get("tools"));
        if (model == null || prompt == null || tools == null) return null;
        for (Entry entry : tools) {
            if (!(entry instanceof Fixed(Tool t))) continue;
            try {
                SCHEMAS.getSchema(t.parameters()).initializeValidators();
            } catch (RuntimeException e) {
                config.problems().add(y.get("tools").location(), "node '" + config.nodeName() + "': tool '" + t.name()
                        + "' has no usable parameter schema (" + e.getMessage() + "); this is a bug in the tool's plugin");
                return null;
            }
        }
        return new AgentNode(config.nodeName(), model.name(), prompt, tools, maxSteps, output);
    }

    /** The node's tools, configured, in the order written; null (problems reported) if any is unusable. */
    private static List<Entry> tools(NodeConfig config, YamlValue.Sequence list) {
        String node = config.nodeName();
        Problems problems = config.problems();
        if (list.items().isEmpty()) {
            problems.add(list.location(), "node '" + node + "': an agent needs at least one tool (known: " + known(config) + ")");
            return null;
        }
        ShapeChecker checker = new ShapeChecker();
        List<Entry> tools = new ArrayList<>();
        Map<String, Location> names = new LinkedHashMap<>();
        boolean ok = true;
        for (YamlValue item : list.items()) {
            Tool tool;
            if (item instanceof YamlValue.Mapping m && m.has("from")) {
                FromRecord entry = checker.check(m, RECORD_TOOLS, "record tools of node '" + node + "'", problems) ? fromRecord(config, m) : null;
                if (entry == null) ok = false;
                else tools.add(entry);
                continue;
            } else if (item instanceof YamlValue.Scalar s) {
                Tool registered = registered(config, s);
                tool = registered == null ? null : configure(config, registered, new YamlValue.Mapping(s.location()), checker);
            } else if (item instanceof YamlValue.Mapping m && m.has("workflow")) {
                tool = checker.check(m, WORKFLOW_TOOL, "workflow tool of node '" + node + "'", problems) ? workflowTool(config, m) : null;
            } else if (item instanceof YamlValue.Mapping m && m.has("tool")) {
                Tool registered = m.get("tool") instanceof YamlValue.Scalar s ? registered(config, s) : null;
                if (registered == null && !(m.get("tool") instanceof YamlValue.Scalar)) {
                    problems.add(m.get("tool").location(), "node '" + node + "': `tool` names a tool, found " + m.get("tool").describe());
                }
                tool = registered == null ? null : configure(config, registered, m, checker);
                if (tool != null) tool = Renamed.of(tool, text(m.get("name")), text(m.get("description")));
            } else {
                problems.add(item.location(), "node '" + node + "': a tool is a name (`- calculator`), `{tool: NAME, ...}`,"
                        + " `{workflow: FILE, name: ..., description: ..., input: {...}}` or `{from: EXPR, workflow: FILE}`");
                tool = null;
            }
            if (tool == null) {
                ok = false;
                continue;
            }
            Location at = item instanceof YamlValue.Mapping m && m.has("name") ? m.get("name").location() : item.location();
            if (!tool.name().matches(TOOL_NAME)) {
                problems.add(at, "node '" + node + "': tool name '" + tool.name() + "' must be 1 to 64 letters, digits, _ or -");
                ok = false;
            } else if (names.putIfAbsent(tool.name(), at) != null) {
                problems.add(at, "node '" + node + "': two tools are named '" + tool.name() + "'; give one another name with `name:`");
                ok = false;
            }
            tools.add(new Fixed(tool));
        }
        return ok ? List.copyOf(tools) : null;
    }

    /** `{from: EXPR, workflow: FILE, output: FIELD}`: the functions each record defines, answered by that workflow. */
    private static FromRecord fromRecord(NodeConfig config, YamlValue.Mapping m) {
        Expression from = config.expression(m.get("from"));
        Workflow wf = config.workflow(m.get("workflow"), new LinkedHashSet<>(RecordTool.INPUTS));
        if (from == null || wf == null) return null;
        return new FromRecord(from, wf, text(m.get("output")));
    }

    private static String known(NodeConfig config) {
        return config.tools().isEmpty() ? "none" : String.join(", ", config.tools().keySet());
    }

    private static Tool registered(NodeConfig config, YamlValue.Scalar name) {
        Tool t = config.tools().get(name.text());
        if (t == null) {
            String hint = ShapeChecker.nearest(name.text(), config.tools().keySet()).map(n -> "; did you mean '" + n + "'?").orElse("");
            // As for unknown kinds: a likely typo gets its correction, anything else the list to choose from.
            config.problems().add(name.location(), "node '" + config.nodeName() + "': unknown tool '" + name.text() + "'"
                    + (hint.isEmpty() ? " (known: " + known(config) + ")" : hint));
        }
        return t;
    }

    private static Tool configure(NodeConfig config, Tool tool, YamlValue.Mapping settings, ShapeChecker checker) {
        Shape.Obj shape = tool.settings() == null ? NAMED_TOOL : NAMED_TOOL.with(tool.settings());
        // The plain `- name` form has no `tool:` key to check; its settings are checked all the same.
        if (!settings.has("tool")) shape = tool.settings() == null ? Shape.Obj.builder(null).build() : tool.settings();
        String what = "tool '" + tool.name() + "' of node '" + config.nodeName() + "'";
        if (!checker.check(settings, shape, what, config.problems())) return null;
        int before = config.problems().size();
        Tool configured = tool.configure(new ToolConfig() {
            public String nodeName() {
                return config.nodeName();
            }

            public YamlValue.Mapping yaml() {
                return settings;
            }

            public Problems problems() {
                return config.problems();
            }

            public String readFile(YamlValue path) {
                return config.readFile(path);
            }
        });
        if (configured == null && config.problems().size() == before) {
            config.problems().add(settings.location(), what + " could not be configured (the plugin gave no reason)");
        }
        return configured;
    }

    private static Tool workflowTool(NodeConfig config, YamlValue.Mapping m) {
        Map<String, String> inputs = new LinkedHashMap<>();
        ((YamlValue.Mapping) m.get("input")).entries().forEach((k, v) -> inputs.put(k, ((YamlValue.Scalar) v).text()));
        if (inputs.isEmpty()) {
            config.problems().add(m.get("input").location(), "node '" + config.nodeName() + "': a workflow tool needs at least one `input` field");
            return null;
        }
        Workflow wf = config.workflow(m.get("workflow"), new LinkedHashSet<>(inputs.keySet()));
        if (wf == null) return null;
        return new WorkflowTool(text(m.get("name")), text(m.get("description")), inputs, wf, text(m.get("output")));
    }

    private static String text(YamlValue v) {
        return v instanceof YamlValue.Scalar s ? s.text() : null;
    }

    /** A tool shown to the model under another name or description. */
    private record Renamed(String name, String description, Tool tool) implements Tool {
        static Tool of(Tool tool, String name, String description) {
            if (name == null && description == null) return tool;
            return new Renamed(name == null ? tool.name() : name, description == null ? tool.description() : description, tool);
        }

        public JsonNode parameters() {
            return tool.parameters();
        }

        public int version() {
            return tool.version();
        }

        public String call(JsonNode arguments, ToolContext context) throws Exception {
            return tool.call(arguments, context);
        }
    }

    /** What a tool call knows; also how a workflow tool reaches the step that runs it. */
    record CallContext(StepContext step, String recordId, String nodeName, String callId, long seed) implements ToolContext {}

    /** One item of `tools:`: a tool fixed in the workflow, or the functions each record defines. */
    private sealed interface Entry permits Fixed, FromRecord {}

    private record Fixed(Tool tool) implements Entry {}

    private record FromRecord(Expression from, Workflow workflow, String output) implements Entry {
        /** This record's functions; a record whose value is unusable fails with what is wrong. */
        List<Tool> tools(StepContext ctx) {
            List<Tool> out = new ArrayList<>();
            for (FunctionSpecs.Spec s : FunctionSpecs.read(Values.plain(ctx.evaluate(from)), from.source())) {
                out.add(new RecordTool(s, workflow, output));
            }
            return out;
        }
    }

    /** The tools one trajectory is offered: by name, each with its argument validator, and as the model is shown them. */
    private record Toolbox(Map<String, Tool> tools, Map<String, JsonSchema> validators, List<ToolSpec> specs) {
        static Toolbox of(List<Tool> tools, Map<String, JsonSchema> compiled) {
            Map<String, Tool> byName = new LinkedHashMap<>();
            Map<String, JsonSchema> validators = new LinkedHashMap<>();
            List<ToolSpec> specs = new ArrayList<>();
            for (Tool t : tools) {
                byName.put(t.name(), t);
                JsonNode parameters = t.parameters();
                JsonSchema validator = compiled.get(t.name());
                if (validator == null) {
                    validator = SCHEMAS.getSchema(parameters);
                    validator.initializeValidators(); // now, not lazily on many threads at once
                }
                validators.put(t.name(), validator);
                specs.add(new ToolSpec(t.name(), t.description(), parameters));
            }
            return new Toolbox(byName, validators, specs);
        }
    }

    private static final class AgentNode implements Node {
        private final String name;
        private final String profile;
        private final Prompt prompt;
        private final List<Entry> entries;
        /** The fixed tools alone: the whole toolbox when no record defines tools. */
        private final Toolbox fixed;
        private final boolean perRecord;
        private final int maxSteps;
        private final String output;

        AgentNode(String name, String profile, Prompt prompt, List<Entry> entries, int maxSteps, String output) {
            this.name = name;
            this.profile = profile;
            this.prompt = prompt;
            this.entries = entries;
            this.maxSteps = maxSteps;
            this.output = output;
            this.fixed = Toolbox.of(entries.stream().filter(e -> e instanceof Fixed).map(e -> ((Fixed) e).tool()).toList(), Map.of());
            this.perRecord = entries.stream().anyMatch(e -> e instanceof FromRecord);
        }

        public List<FieldRead> reads() {
            List<FieldRead> reads = new ArrayList<>(prompt.reads());
            for (Entry e : entries) if (e instanceof FromRecord f) reads.addAll(f.from().reads());
            return reads;
        }

        /** This record's toolbox: the fixed tools and the record's functions, in the order `tools:` lists them. */
        private Toolbox toolbox(StepContext ctx) {
            if (!perRecord) return fixed;
            List<Tool> tools = new ArrayList<>();
            Map<String, String> from = new LinkedHashMap<>(); // tool name -> where it came from, for clashes
            for (Entry e : entries) {
                List<Tool> some = e instanceof Fixed(Tool t) ? List.of(t) : ((FromRecord) e).tools(ctx);
                String origin = e instanceof FromRecord f ? "`from: " + f.from().source() + "`" : "the node's own tool";
                for (Tool t : some) {
                    String before = from.putIfAbsent(t.name(), origin);
                    if (before != null) {
                        throw new StepFailedException("two tools are named '" + t.name() + "' (" + before + " and " + origin
                                + "); tool names must be unique, so rename the record's function");
                    }
                    tools.add(t);
                }
            }
            if (tools.isEmpty()) {
                throw new StepFailedException("this record defines no functions (" + entries.stream().map(e -> "`from: "
                        + ((FromRecord) e).from().source() + "`").collect(Collectors.joining(", ")) + " gave an empty list) and the node has"
                        + " no other tools; an agent needs at least one tool");
            }
            return Toolbox.of(tools, fixed.validators());
        }

        public Set<String> writes() {
            return Set.of(output);
        }

        public StepOutcome run(StepContext ctx) throws InterruptedException {
            Toolbox box = toolbox(ctx);
            List<ToolSpec> specs = box.specs();
            Map<String, Tool> tools = box.tools();
            List<ChatMessage> conversation = new ArrayList<>(prompt.render(ctx));
            for (int step = 0; step < maxSteps; step++) {
                ModelResponse r = ctx.ask(profile, ModelRequest.withTools(conversation, specs));
                if (!r.hasToolCalls()) {
                    if (r.text().isBlank()) {
                        throw new StepFailedException("model '" + profile + "' returned an empty answer at step " + (step + 1)
                                + (r.finishReason() == null ? "" : " (finish reason: " + r.finishReason() + ")"));
                    }
                    conversation.add(ChatMessage.assistant(r.text()));
                    return StepOutcome.write(output, result(conversation, specs, r.text(), step + 1));
                }
                conversation.add(ChatMessage.assistant(r.text(), r.toolCalls()));
                if (step == maxSteps - 1) {
                    throw new StepFailedException("the agent did not finish within max_steps: " + maxSteps + " (model calls); its last answer"
                            + " still called " + r.toolCalls().stream().map(ToolCall::name).distinct().collect(Collectors.joining(", "))
                            + "; raise `max_steps` or make the task need fewer tool calls");
                }
                for (int i = 0; i < r.toolCalls().size(); i++) {
                    ToolCall call = r.toolCalls().get(i);
                    String callId = step + "." + i;
                    Tool tool = tools.get(call.name());
                    // A new version, or for a record's function another spec: new results.
                    String id = tool == null ? call.name() : tool instanceof RecordTool rt ? rt.cacheName() : call.name() + "@" + tool.version();
                    String result = ctx.remember(id, call.arguments(), () -> execute(ctx, box, call, callId));
                    conversation.add(ChatMessage.toolResult(call, result));
                }
            }
            throw new IllegalStateException("unreachable: max_steps is at least 1");
        }

        /** One tool call's result: the tool's answer, or "error: ..." for the model to read. Never throws but to stop. */
        private String execute(StepContext ctx, Toolbox box, ToolCall call, String callId) throws InterruptedException {
            Map<String, Tool> tools = box.tools();
            Tool tool = tools.get(call.name());
            if (tool == null) return "error: there is no tool named '" + call.name() + "'; the tools are: " + String.join(", ", tools.keySet());
            JsonNode arguments;
            try {
                arguments = JSON.readTree(call.arguments());
            } catch (java.io.IOException e) {
                String m = e instanceof com.fasterxml.jackson.core.JacksonException j ? j.getOriginalMessage() : e.getMessage();
                return "error: the arguments are not valid JSON: " + m;
            }
            if (arguments == null || !arguments.isObject()) return "error: the arguments must be a JSON object";
            Set<ValidationMessage> invalid = box.validators().get(tool.name()).validate(arguments);
            if (!invalid.isEmpty()) {
                return "error: invalid arguments: " + invalid.stream().map(ValidationMessage::getMessage).sorted().collect(Collectors.joining("; "));
            }
            long seed = new SplittableRandom(ctx.seed() ^ callId.hashCode() * 0x9E3779B97F4A7C15L).nextLong();
            try {
                String result = tool.call(arguments, new CallContext(ctx, ctx.recordId(), name, callId, seed));
                return result == null ? "" : Utf16.wellFormed(result);
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                if (Thread.currentThread().isInterrupted()) throw new InterruptedException();
                String m = e.getMessage();
                return "error: " + Utf16.wellFormed(m == null || m.isBlank() ? e.getClass().getSimpleName() : m);
            }
        }

        private Map<String, Object> result(List<ChatMessage> conversation, List<ToolSpec> specs, String answer, int steps) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("messages", openAiMessages(conversation));
            out.put("tools", openAiTools(specs));
            out.put("answer", answer);
            out.put("steps", steps);
            return out;
        }
    }

    /** The conversation in OpenAI chat format, as fine-tuning tools read tool use. */
    static List<Map<String, Object>> openAiMessages(List<ChatMessage> conversation) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ChatMessage m : conversation) {
            Map<String, Object> msg = new LinkedHashMap<>();
            msg.put("role", m.role().name().toLowerCase());
            if (m.role() == ChatMessage.Role.TOOL) msg.put("tool_call_id", m.toolCallId());
            msg.put("content", m.role() == ChatMessage.Role.ASSISTANT && !m.toolCalls().isEmpty() && m.text().isEmpty() ? null : m.text());
            if (!m.toolCalls().isEmpty()) {
                List<Map<String, Object>> calls = new ArrayList<>();
                for (ToolCall c : m.toolCalls()) {
                    Map<String, Object> fn = new LinkedHashMap<>();
                    fn.put("name", c.name());
                    fn.put("arguments", c.arguments());
                    Map<String, Object> call = new LinkedHashMap<>();
                    call.put("id", c.id());
                    call.put("type", "function");
                    call.put("function", fn);
                    calls.add(call);
                }
                msg.put("tool_calls", calls);
            }
            out.add(msg);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> openAiTools(List<ToolSpec> specs) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ToolSpec t : specs) {
            Map<String, Object> fn = new LinkedHashMap<>();
            fn.put("name", t.name());
            fn.put("description", t.description());
            fn.put("parameters", JSON.convertValue(t.parameters(), LinkedHashMap.class));
            Map<String, Object> tool = new LinkedHashMap<>();
            tool.put("type", "function");
            tool.put("function", fn);
            out.add(tool);
        }
        return out;
    }
}
