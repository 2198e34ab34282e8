package dev.weft.model;

import dev.langchain4j.model.ollama.OllamaChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.weft.WeftException;
import java.time.Duration;
import java.util.Map;

/**
 * Builds the {@link LanguageModel} for a profile. API keys are read from the environment at this
 * moment and live only inside the provider client: never stored, logged or printed.
 */
public final class Providers {
    private Providers() {}

    public static LanguageModel create(ModelProfile p, Map<String, String> environment) {
        Duration timeout = p.timeout() == null ? Duration.ofSeconds(120) : p.timeout();
        return switch (p.provider()) {
            case ModelProfile.SIMULATED -> new SimulatedModel(p);
            case ModelProfile.OPENAI -> openAi(p, p.baseUrl() == null ? "https://api.openai.com/v1" : p.baseUrl(),
                    apiKey(p, environment), timeout);
            case ModelProfile.OLLAMA -> new Langchain4jModel(p.name(), OllamaChatModel.builder()
                    .baseUrl(p.baseUrl() == null ? "http://localhost:11434" : p.baseUrl())
                    .modelName(p.model())
                    .temperature(p.temperature())
                    .topP(p.topP())
                    .numPredict(p.maxTokens())
                    .seed(p.seed())
                    .timeout(timeout)
                    .maxRetries(0)
                    .httpClientBuilder(JdkHttpClient.builder())
                    .build());
            default -> throw new WeftException("model '" + p.name() + "': unknown provider '" + p.provider() + "'");
        };
    }

    /** Our own client for text requests, langchain4j's for requests with tools (see {@link OpenAiModel}). */
    private static LanguageModel openAi(ModelProfile p, String baseUrl, String apiKey, Duration timeout) {
        return new OpenAiModel(p, baseUrl, apiKey, timeout, langchain4jOpenAi(p, baseUrl, apiKey, timeout));
    }

    /** langchain4j's OpenAI client; package-private so that tests can compare the two. */
    static LanguageModel langchain4jOpenAi(ModelProfile p, String baseUrl, String apiKey, Duration timeout) {
        return new Langchain4jModel(p.name(), OpenAiChatModel.builder()
                .baseUrl(baseUrl)
                .apiKey(apiKey)
                .modelName(p.model())
                .temperature(p.temperature())
                .topP(p.topP())
                .maxTokens(p.maxTokens())
                .seed(p.seed())
                .timeout(timeout)
                .maxRetries(0) // retries are ours: they honour Retry-After and are counted per step
                .httpClientBuilder(JdkHttpClient.builder())
                .build());
    }

    private static String apiKey(ModelProfile p, Map<String, String> environment) {
        if (p.apiKeyEnv() == null) return "not-needed"; // local OpenAI-compatible servers take any key
        String key = environment.get(p.apiKeyEnv());
        if (key == null || key.isBlank()) {
            throw new WeftException("model '" + p.name() + "': environment variable " + p.apiKeyEnv()
                    + " is not set; export it, or run with --simulate to try the workflow offline");
        }
        return key;
    }
}
