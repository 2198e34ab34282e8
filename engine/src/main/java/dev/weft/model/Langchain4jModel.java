package dev.weft.model;

import dev.weft.internal.Utf16;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.internal.JsonSchemaElementJsonUtils;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.TokenUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Adapts any langchain4j {@link ChatModel} to {@link LanguageModel}. Thread-safe if the delegate is. */
final class Langchain4jModel implements LanguageModel {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String profile;
    private final ChatModel delegate;

    Langchain4jModel(String profile, ChatModel delegate) {
        this.profile = profile;
        this.delegate = delegate;
    }

    @Override
    public ModelResponse generate(ModelRequest request) {
        List<dev.langchain4j.data.message.ChatMessage> messages = new ArrayList<>();
        for (ChatMessage m : request.messages()) {
            messages.add(switch (m.role()) {
                case SYSTEM -> SystemMessage.from(m.text());
                case USER -> UserMessage.from(m.text());
                case ASSISTANT -> m.toolCalls().isEmpty() ? AiMessage.from(m.text()) : m.text().isEmpty()
                        ? AiMessage.from(requests(m.toolCalls())) : AiMessage.from(m.text(), requests(m.toolCalls()));
                case TOOL -> ToolExecutionResultMessage.from(m.toolCallId(), m.toolName(), m.text());
            });
        }
        ChatRequest.Builder chat = ChatRequest.builder().messages(messages);
        if (!request.tools().isEmpty()) chat.toolSpecifications(specifications(request.tools()));
        ChatResponse response;
        try {
            response = delegate.chat(chat.build());
        } catch (RuntimeException e) {
            throw Failures.classify(profile, e);
        }
        AiMessage ai = response.aiMessage();
        String text = ai == null || ai.text() == null ? "" : Utf16.wellFormed(ai.text());
        TokenUsage usage = response.tokenUsage();
        int in = usage == null || usage.inputTokenCount() == null ? request.estimatedTokens() : usage.inputTokenCount();
        int out = usage == null || usage.outputTokenCount() == null ? Math.max(1, text.length() / 4) : usage.outputTokenCount();
        String finish = response.finishReason() == null ? null : response.finishReason().name().toLowerCase();
        List<ToolCall> calls = new ArrayList<>();
        if (ai != null && ai.hasToolExecutionRequests()) {
            List<ToolExecutionRequest> asked = ai.toolExecutionRequests();
            for (int i = 0; i < asked.size(); i++) {
                ToolExecutionRequest t = asked.get(i);
                // Ollama gives no ids; the result message must still name its call.
                String id = t.id() == null || t.id().isBlank() ? "call_" + i : t.id();
                calls.add(new ToolCall(id, t.name() == null ? "" : t.name(), t.arguments() == null ? "{}" : Utf16.wellFormed(t.arguments())));
            }
        }
        return new ModelResponse(text, in, out, finish, calls);
    }

    private static List<ToolExecutionRequest> requests(List<ToolCall> calls) {
        return calls.stream().map(c -> ToolExecutionRequest.builder().id(c.id()).name(c.name()).arguments(c.arguments()).build()).toList();
    }

    @SuppressWarnings("unchecked")
    private static List<ToolSpecification> specifications(List<ToolSpec> tools) {
        List<ToolSpecification> out = new ArrayList<>(tools.size());
        for (ToolSpec t : tools) {
            Map<String, Object> schema = JSON.convertValue(t.parameters(), Map.class);
            ToolSpecification.Builder b = ToolSpecification.builder().name(t.name()).description(t.description());
            if (schema != null && !schema.isEmpty() && JsonSchemaElementJsonUtils.fromMap(schema) instanceof JsonObjectSchema o) b.parameters(o);
            out.add(b.build());
        }
        return out;
    }
}
