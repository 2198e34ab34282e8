package dev.weft.spi;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.yaml.Shape;

/**
 * A tool that an {@code agent} node can offer its model: a name, a description and the JSON
 * Schema of its arguments (what the model sees), and the code that answers one call.
 *
 * <p><b>Registration.</b> A tool is found with {@link java.util.ServiceLoader}: list the class in
 * {@code META-INF/services/dev.weft.spi.Tool} and give it a public no-argument constructor. The
 * built-in tools ({@code calculator}, {@code lookup}) are registered the same way. Names are unique
 * across the class path and plugins (a clash is an error when Weft starts).
 *
 * <p><b>Configuration.</b> A workflow names a tool ({@code tools: [calculator]}) or names it with
 * settings ({@code tools: [{tool: lookup, file: data/capitals.json}]}). A tool that takes settings
 * declares them in {@link #settings()} (checked like any YAML, with "did you mean") and returns a
 * configured copy from {@link #configure(ToolConfig)}; the registered instance itself is never
 * called with settings.
 *
 * <p><b>Thread-safety.</b> One configured instance serves every record of a run at once, from many
 * virtual threads: {@link #call} must be thread-safe and should keep no state between calls.
 *
 * <p><b>Results and errors.</b> {@link #call} returns the text the model reads as the tool's result.
 * Any exception it throws (say, a {@link ToolException} with a message written for the model) is
 * given back to the model as the result {@code "error: <message>"}: the model may try again, and
 * the record does not fail. Only {@link InterruptedException} (the run is stopping) passes through.
 *
 * <p><b>Caching.</b> A call's result is kept in the step cache, keyed by the agent node, the record,
 * the visit, the call's place in the trajectory, the tool's name and the arguments. A resumed or
 * replayed run reads it back instead of calling the tool again (so a tool with side effects or
 * changing answers still replays byte for byte); {@code --no-cache} or {@code cache: false} on the
 * node calls it again. The key holds {@link #version()}: bump it when the same arguments would now
 * give another result, and old results are no longer served.
 */
public interface Tool {
    /** The name the model calls the tool by: letters, digits, {@code _} and {@code -}, at most 64. */
    String name();

    /**
     * Part of the cache key of this tool's results: change it when the same arguments would now
     * give another result — a new implementation, or, for a configured tool, other settings or data
     * (derive it from them, as {@code lookup} does from its file's content).
     */
    default int version() {
        return 1;
    }

    /** What the tool does and when to use it: the model reads this. */
    String description();

    /** The JSON Schema of the arguments: an object schema ({@code {"type": "object", "properties": ...}}). */
    JsonNode parameters();

    /** The settings a workflow may give the tool besides {@code tool:}; null when it takes none. */
    default Shape.Obj settings() {
        return null;
    }

    /**
     * The tool with these (already shape-checked) settings; report further problems to
     * {@link ToolConfig#problems()} and return null. Called once per workflow load, for every
     * mention of the tool (also the plain {@code tools: [name]} form, with no settings).
     */
    default Tool configure(ToolConfig config) {
        return this;
    }

    /**
     * Answers one call.
     *
     * @param arguments the model's arguments: a JSON object, already checked against {@link #parameters()}
     * @return the result text given back to the model
     * @throws InterruptedException when the run stops; any other exception becomes an error result
     */
    String call(JsonNode arguments, ToolContext context) throws Exception;
}
