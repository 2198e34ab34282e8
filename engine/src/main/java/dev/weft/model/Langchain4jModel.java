package dev.weft.model;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.TokenUsage;
import java.util.ArrayList;
import java.util.List;

/** Adapts any langchain4j {@link ChatModel} to {@link LanguageModel}. Thread-safe if the delegate is. */
final class Langchain4jModel implements LanguageModel {
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
                case ASSISTANT -> AiMessage.from(m.text());
            });
        }
        ChatResponse response;
        try {
            response = delegate.chat(ChatRequest.builder().messages(messages).build());
        } catch (RuntimeException e) {
            throw Failures.classify(profile, e);
        }
        AiMessage ai = response.aiMessage();
        String text = ai == null || ai.text() == null ? "" : ai.text();
        TokenUsage usage = response.tokenUsage();
        int in = usage == null || usage.inputTokenCount() == null ? request.estimatedTokens() : usage.inputTokenCount();
        int out = usage == null || usage.outputTokenCount() == null ? Math.max(1, text.length() / 4) : usage.outputTokenCount();
        String finish = response.finishReason() == null ? null : response.finishReason().name().toLowerCase();
        return new ModelResponse(text, in, out, finish);
    }
}
