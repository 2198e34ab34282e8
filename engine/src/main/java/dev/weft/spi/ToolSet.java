package dev.weft.spi;

/**
 * A plugin class whose public methods annotated with langchain4j's
 * {@link dev.langchain4j.agent.tool.Tool @Tool} become Weft tools, one per method: the method's
 * name (or the annotation's {@code name}) is the tool's name, the annotation's text its
 * description, and its parameters (described with {@link dev.langchain4j.agent.tool.P @P}) the
 * arguments, in order. The return value is the result: a String as it is, anything else as JSON.
 *
 * <p>Register the class in {@code META-INF/services/dev.weft.spi.ToolSet} (public no-argument
 * constructor). One instance serves every record at once: the methods must be thread-safe. Tools
 * made this way take no settings; implement {@link Tool} for that. Compile with {@code -parameters}
 * or use {@code @P} so that the model sees meaningful argument names.
 */
public interface ToolSet {}
