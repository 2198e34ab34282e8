package dev.weft.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** A small but complete workflow (sample, two llm nodes, a judge-gated loop, a filter) written into a folder. */
final class Fixtures {
    private Fixtures() {}

    static final String[] TOPICS = {
        "photosynthesis", "binary search", "plate tectonics", "TCP congestion control", "supply and demand", "the immune system",
        "Bayes theorem", "the water cycle", "public key cryptography", "Newton's laws", "the Krebs cycle", "compound interest",
        "garbage collection", "the Renaissance", "black holes", "natural selection", "database indexes", "the greenhouse effect",
        "Fourier transforms", "hash tables", "volcanoes", "vaccines", "inflation", "recursion", "photosynthetic pigments",
        "tides", "neural networks", "the printing press", "antibiotics", "magnetism",
    };

    /** Writes workflow.yaml and data/topics.jsonl ({@code records} records) into {@code dir}. */
    static Path workflow(Path dir, String baseUrl, int records) throws IOException {
        Files.createDirectories(dir.resolve("data"));
        StringBuilder data = new StringBuilder();
        for (int i = 0; i < records; i++) {
            data.append(String.format(Locale.ROOT, "{\"id\": \"r%03d\", \"topic\": \"%s %d\"}%n", i, TOPICS[i % TOPICS.length], i));
        }
        Files.writeString(dir.resolve("data/topics.jsonl"), data, StandardCharsets.UTF_8);
        String yaml = """
                name: kill-test
                seed: 3
                models:
                  writer: {provider: openai, model: fake-writer, base_url: "%1$s", temperature: 0.7, retry_delay: 20ms}
                  critic: {provider: openai, model: fake-critic, base_url: "%1$s", temperature: 0, retry_delay: 20ms}
                source: {path: data/topics.jsonl, id: id}
                nodes:
                  style:
                    kind: sample
                    attributes: {tone: {plain: 2, playful: 1}}
                  question:
                    kind: llm
                    model: writer
                    prompt: "Write one question about {{ topic }} in a {{ tone }} tone."
                  answer:
                    kind: llm
                    model: writer
                    prompt: "Answer: {{ question }}"
                  grade:
                    kind: judge
                    model: critic
                    rubric: "Grade the answer. Q: {{ question }} A: {{ answer }}"
                  refine:
                    kind: llm
                    model: writer
                    prompt: "Improve the answer given the critique {{ grade.reason }}: {{ answer }}"
                    output: answer
                edges:
                  - style -> question -> answer -> grade
                  - {from: grade, to: refine, when: "grade.score < 5", max: 1}
                  - refine -> grade
                  - {from: grade, to: END, otherwise: true}
                sink: {path: out/data.jsonl}
                """.formatted(baseUrl);
        Path wf = dir.resolve("workflow.yaml");
        Files.writeString(wf, yaml, StandardCharsets.UTF_8);
        return wf;
    }
}
