package dev.weft.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import dev.weft.internal.Digests;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * An offline model for dry runs, tests and cost estimates. The same request always gets the same
 * answer; answers read like prose built from the prompt's own words, and a request that carries
 * an answer schema gets JSON that satisfies it (a text field called {@code name} holds a
 * snake_case name, as a function's or a parameter's would). A request that offers tools and holds no tool
 * result yet gets one call of the first tool, with arguments made from its parameter schema;
 * once a tool result is in the request, it answers in text. Thread-safe (stateless).
 */
final class SimulatedModel implements LanguageModel {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] FILLER = {
        "the", "a", "clearly", "because", "which", "shows", "that", "in", "practice", "this", "means",
        "an", "example", "is", "often", "useful", "when", "we", "consider", "how", "it", "works",
    };
    private final ModelProfile profile;

    SimulatedModel(ModelProfile profile) {
        this.profile = profile;
    }

    @Override
    public ModelResponse generate(ModelRequest request) {
        long seed = seed(request);
        SplittableRandom random = new SplittableRandom(seed);
        if (!request.tools().isEmpty() && request.messages().stream().noneMatch(m -> m.role() == ChatMessage.Role.TOOL)) {
            ToolSpec tool = request.tools().get(0);
            String arguments = instance(tool.parameters(), random, words(request)).toString();
            ToolCall call = new ToolCall("call_" + Long.toHexString(seed >>> 32), tool.name(), arguments);
            return new ModelResponse("", request.estimatedTokens(), Math.max(1, arguments.length() / 4), "tool_calls", List.of(call));
        }
        String text;
        if (request.answerSchema() != null) {
            text = instance(request.answerSchema(), random, words(request)).toString();
        } else {
            text = prose(random, words(request), profile.maxTokens() == null ? 60 : Math.min(profile.maxTokens(), 60));
        }
        return new ModelResponse(text, request.estimatedTokens(), Math.max(1, text.length() / 4), "stop");
    }

    private long seed(ModelRequest request) {
        MessageDigest md = Digests.sha256();
        md.update(profile.model().getBytes(StandardCharsets.UTF_8));
        for (ChatMessage m : request.messages()) {
            md.update((m.role() + "\u0000" + m.text() + "\u0000").getBytes(StandardCharsets.UTF_8));
            // Only tool traffic adds bytes: requests without it keep the answers they always had.
            for (ToolCall c : m.toolCalls()) md.update((c.id() + "\u0000" + c.name() + "\u0000" + c.arguments() + "\u0000").getBytes(StandardCharsets.UTF_8));
            if (m.toolCallId() != null) md.update((m.toolCallId() + "\u0000").getBytes(StandardCharsets.UTF_8));
        }
        for (ToolSpec t : request.tools()) md.update((t.name() + "\u0000" + t.parameters() + "\u0000").getBytes(StandardCharsets.UTF_8));
        if (request.answerSchema() != null) md.update(request.answerSchema().toString().getBytes(StandardCharsets.UTF_8));
        return Digests.firstLong(md.digest());
    }

    private static List<String> words(ModelRequest request) {
        List<String> out = new ArrayList<>();
        String last = request.messages().get(request.messages().size() - 1).text();
        for (String w : last.split("[^\\p{L}\\p{N}]+")) if (w.length() > 3) out.add(w.toLowerCase());
        return out;
    }

    private static String prose(SplittableRandom random, List<String> words, int maxWords) {
        int n = Math.max(8, Math.min(maxWords, 12 + random.nextInt(30)));
        StringBuilder sb = new StringBuilder();
        boolean capital = true;
        for (int i = 0; i < n; i++) {
            String w = !words.isEmpty() && random.nextInt(3) == 0 ? words.get(random.nextInt(words.size())) : FILLER[random.nextInt(FILLER.length)];
            if (capital) w = Character.toUpperCase(w.charAt(0)) + w.substring(1);
            sb.append(i == 0 ? "" : " ").append(w);
            capital = random.nextInt(9) == 0 && i < n - 1;
            if (capital) sb.append('.');
        }
        return sb.append('.').toString();
    }

    /**
     * A name as code writes it, snake_case from two of the prompt's words: what a field called
     * {@code name} usually holds (a function's, a parameter's), and what a tool name must look like.
     */
    private static String identifier(SplittableRandom random, List<String> words) {
        List<String> ascii = words.stream().filter(w -> w.matches("[a-z0-9]{1,20}")).toList();
        List<String> from = ascii.size() >= 2 ? ascii : List.of(FILLER);
        String first = from.get(random.nextInt(from.size()));
        String second = from.get(random.nextInt(from.size()));
        return Character.isDigit(first.charAt(0)) ? "n" + first + "_" + second : first + "_" + second;
    }

    private static JsonNode instance(JsonNode schema, SplittableRandom random, List<String> words) {
        if (schema.has("enum")) {
            JsonNode e = schema.get("enum");
            return e.get(random.nextInt(e.size()));
        }
        String type = schema.path("type").asText("string");
        switch (type) {
            case "object" -> {
                ObjectNode o = JSON.createObjectNode();
                Iterator<Map.Entry<String, JsonNode>> it = schema.path("properties").fields();
                while (it.hasNext()) {
                    var e = it.next();
                    boolean plainText = !e.getValue().has("enum") && e.getValue().path("type").asText("string").equals("string");
                    o.set(e.getKey(), e.getKey().equals("name") && plainText
                            ? JSON.getNodeFactory().textNode(identifier(random, words))
                            : instance(e.getValue(), random, words));
                }
                return o;
            }
            case "array" -> {
                var a = JSON.createArrayNode();
                int min = schema.path("minItems").asInt(-1);
                int max = schema.path("maxItems").asInt(-1);
                int n;
                if (min < 0 && max < 0) {
                    n = 1 + random.nextInt(3); // as it always was: unbounded lists keep their simulated answers
                } else {
                    int lo = min >= 0 ? min : Math.min(1, max);
                    int hi = max >= 0 ? max : lo + 2;
                    n = lo + random.nextInt(hi - lo + 1);
                }
                for (int i = 0; i < n; i++) a.add(instance(schema.path("items"), random, words));
                return a;
            }
            case "integer" -> {
                long min = schema.has("minimum") ? schema.get("minimum").asLong() : 0;
                long max = schema.has("maximum") ? schema.get("maximum").asLong() : min + 10;
                return JSON.getNodeFactory().numberNode(min + random.nextLong(max - min + 1));
            }
            case "number" -> {
                double min = schema.has("minimum") ? schema.get("minimum").asDouble() : 0;
                double max = schema.has("maximum") ? schema.get("maximum").asDouble() : 1;
                return JSON.getNodeFactory().numberNode(Math.round((min + random.nextDouble() * (max - min)) * 100) / 100.0);
            }
            case "boolean" -> {
                return JSON.getNodeFactory().booleanNode(random.nextBoolean());
            }
            default -> {
                return JSON.getNodeFactory().textNode(prose(random, words, 16));
            }
        }
    }
}
