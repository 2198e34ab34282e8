package dev.weft.tool;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.agent.tool.ToolMemoryId;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.agent.tool.ToolSpecifications;
import dev.langchain4j.internal.JsonSchemaElementUtils;
import dev.weft.WeftException;
import dev.weft.spi.Tool;
import dev.weft.spi.ToolContext;
import dev.weft.spi.ToolException;
import dev.weft.spi.ToolSet;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Turns the langchain4j {@code @Tool} methods of a {@link ToolSet} into {@link Tool}s: langchain4j
 * describes each method (name, description, argument schema); a call converts the model's
 * arguments to the parameters' types with Jackson and invokes the method. Thread-safe as far as
 * the methods are.
 */
public final class MethodTools {
    private static final ObjectMapper JSON = new ObjectMapper();

    private MethodTools() {}

    public static List<Tool> of(ToolSet set) {
        List<Tool> out = new ArrayList<>();
        Method[] methods = set.getClass().getMethods();
        Arrays.sort(methods, Comparator.comparing(Method::getName)); // getMethods() has no order
        for (Method m : methods) {
            if (!m.isAnnotationPresent(dev.langchain4j.agent.tool.Tool.class) || Modifier.isStatic(m.getModifiers())) continue;
            ToolSpecification spec;
            try {
                spec = ToolSpecifications.toolSpecificationFrom(m);
            } catch (RuntimeException e) {
                throw new WeftException("the @Tool method " + set.getClass().getName() + "." + m.getName() + " cannot be described: " + e.getMessage(), e);
            }
            ObjectNode parameters = spec.parameters() == null ? JSON.createObjectNode().put("type", "object")
                    : JSON.valueToTree(JsonSchemaElementUtils.toMap(spec.parameters()));
            if (!parameters.has("properties")) parameters.putObject("properties");
            List<Parameter> params = Arrays.stream(m.getParameters()).filter(p -> !p.isAnnotationPresent(ToolMemoryId.class)).toList();
            List<String> names = new ArrayList<>();
            parameters.get("properties").fieldNames().forEachRemaining(names::add);
            if (names.size() != params.size() || params.size() != m.getParameterCount()) {
                throw new WeftException("the @Tool method " + set.getClass().getName() + "." + m.getName()
                        + " has parameters Weft cannot pass (only plain arguments are supported, no @ToolMemoryId)");
            }
            String description = spec.description() == null ? "" : spec.description();
            out.add(new MethodTool(spec.name(), description, parameters, set, m, names));
        }
        return out;
    }

    private record MethodTool(String name, String description, JsonNode parameters, Object target, Method method, List<String> names)
            implements Tool {
        public String call(JsonNode arguments, ToolContext context) throws Exception {
            Parameter[] params = method.getParameters();
            Object[] values = new Object[params.length];
            for (int i = 0; i < params.length; i++) {
                JsonNode v = arguments.get(names.get(i));
                JavaType type = JSON.getTypeFactory().constructType(params[i].getParameterizedType());
                if (v == null || v.isNull()) {
                    if (type.isPrimitive()) throw new ToolException("missing argument '" + names.get(i) + "'");
                    values[i] = null;
                } else {
                    try {
                        values[i] = JSON.convertValue(v, type);
                    } catch (IllegalArgumentException e) {
                        throw new ToolException("argument '" + names.get(i) + "' is not a " + type.getRawClass().getSimpleName() + ": " + v);
                    }
                }
            }
            Object result;
            try {
                result = method.invoke(target, values);
            } catch (InvocationTargetException e) {
                if (e.getCause() instanceof Exception ex) throw ex;
                throw e;
            }
            if (method.getReturnType() == void.class) return "done";
            return result instanceof String s ? s : JSON.writeValueAsString(result);
        }
    }
}
