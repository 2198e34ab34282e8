package dev.weft.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.Version;
import dev.weft.model.ModelProfile;
import dev.weft.store.Counters;
import dev.weft.workflow.NodeDef;
import dev.weft.workflow.Workflow;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * The dataset card written beside a run's output: a {@code README.md} with Hugging Face-style YAML
 * front matter, saying what the data is and how it was made — size, fields, models and their
 * parameters (never where they were served from, never a key), the workflow and its hash, cache
 * hits, tokens and cost, what each filter and dedup node dropped, quality figures (languages
 * included, also as the front matter's {@code language} list), the date and Weft's version. Stateless.
 */
public final class DatasetCard {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A language enters the front matter from this share (in percent) of some text field on. */
    static final int LANGUAGE_SHARE = 5;

    private DatasetCard() {}

    /** The facts of the run the card describes. */
    public record Facts(String runId, Workflow workflow, Counters counters, boolean simulated, long finishedAt) {}

    /**
     * Writes the card as {@code README.md} beside the output, unless a README.md that Weft did not
     * write is there (a workflow's own documentation, say): that one is left alone and the card goes
     * to {@code <output name>.README.md}.
     *
     * @return where the card went
     */
    public static Path write(Facts facts, Path output, QualityReport quality) throws IOException {
        Path folder = output.toAbsolutePath().getParent();
        Path card = folder.resolve("README.md");
        if (Files.exists(card) && !writtenByWeft(card)) card = folder.resolve(stem(output.getFileName().toString()) + ".README.md");
        Files.writeString(card, render(facts, output, quality), StandardCharsets.UTF_8);
        return card;
    }

    private static final String MARKER = "<!-- Dataset card written by Weft: replaced by every completed run that writes beside it. -->";

    private static boolean writtenByWeft(Path readme) throws IOException {
        String text = Files.readString(readme, StandardCharsets.UTF_8);
        // Cards from before the marker carry Weft's tags in their front matter.
        return text.contains(MARKER) || (text.startsWith("---\n") && text.contains("\ntags:\n- synthetic\n- weft\n"));
    }

    private static String stem(String file) {
        int dot = file.lastIndexOf('.');
        return dot > 0 ? file.substring(0, dot) : file;
    }

    static String render(Facts f, Path output, QualityReport quality) throws IOException {
        Workflow wf = f.workflow();
        Counters c = f.counters();
        String file = output.getFileName().toString();
        List<String> fields = firstLineFields(output);
        JsonNode q = quality.json();
        StringBuilder b = new StringBuilder();
        b.append("---\n");
        b.append("pretty_name: ").append(yaml(wf.name())).append('\n');
        b.append("size_categories:\n- ").append(sizeCategory(c.done())).append('\n');
        List<String> languages = languages(q);
        if (!languages.isEmpty()) b.append("language:\n").append(languages.stream().map(l -> "- " + l + "\n").collect(java.util.stream.Collectors.joining()));
        b.append("task_categories:\n- text-generation\n");
        b.append("tags:\n- synthetic\n- weft\n").append(f.simulated() ? "- simulated\n" : "");
        b.append("configs:\n- config_name: default\n  data_files: ").append(yaml(file)).append('\n');
        b.append("---\n\n");
        b.append(MARKER).append("\n\n");
        b.append("# ").append(wf.name()).append("\n\n");
        if (!wf.description().isBlank()) b.append(wf.description().strip()).append("\n\n");
        if (f.simulated()) {
            b.append("> **Simulated.** Every answer in this dataset came from Weft's offline simulator, not from a language model."
                    + " It shows the shape of the data, not its content.\n\n");
        }
        b.append("Generated with Weft ").append(Version.CURRENT).append(" on ")
                .append(DateTimeFormatter.ISO_LOCAL_DATE.format(Instant.ofEpochMilli(f.finishedAt()).atZone(ZoneOffset.UTC)))
                .append(", run `").append(f.runId()).append("`.\n\n");
        b.append("## Data\n\n");
        b.append("| file | records | fields |\n| --- | --- | --- |\n");
        b.append("| `").append(file).append("` | ").append(c.done()).append(" | ")
                .append(fields.isEmpty() ? "—" : "`" + String.join("`, `", fields) + "`").append(" |\n\n");
        b.append("Format: ").append(wf.sink().format()).append(". ").append(c.failed()).append(" records failed and ")
                .append(c.filtered()).append(" were filtered out; they are not in the file.\n\n");
        b.append("## How it was made\n\n");
        b.append("Workflow `").append(wf.file().getFileName()).append("` (SHA-256 of the workflow and its prompt files: `")
                .append(wf.hash()).append("`), seed ").append(wf.seed()).append(".\n\n");
        b.append("| node | kind |\n| --- | --- |\n");
        for (NodeDef n : wf.nodes().values()) b.append("| `").append(n.name()).append("` | ").append(n.kind()).append(" |\n");
        b.append('\n');
        if (!wf.models().isEmpty()) {
            b.append("| model profile | provider | model | temperature | top_p | max_tokens | seed |\n| --- | --- | --- | --- | --- | --- | --- |\n");
            for (ModelProfile p : wf.models().values()) {
                b.append("| `").append(p.name()).append("` | ").append(f.simulated() ? "simulated" : p.provider()).append(" | `").append(p.model())
                        .append("` | ").append(or(p.temperature())).append(" | ").append(or(p.topP())).append(" | ").append(or(p.maxTokens()))
                        .append(" | ").append(or(p.seed())).append(" |\n");
            }
            b.append('\n');
        }
        b.append(String.format(Locale.ROOT, "Model calls: %d (%d answers reused from the cache, %d retries). Tokens: %d in, %d out. Cost: $%.4f.%n%n",
                c.calls(), c.cacheHits(), c.retries(), c.tokensIn(), c.tokensOut(), c.cost()));
        if (!q.get("dropped_at").isEmpty() || !q.get("filtered_because").isEmpty()) {
            b.append("## Filtered and deduplicated\n\n");
            JsonNode r = q.get("records");
            if (r.get("dedup_reached").asLong() > 0) {
                b.append(String.format(Locale.ROOT, "Deduplication dropped %d of the %d records that reached it (%.1f%%).%n%n",
                        r.get("dedup_dropped").asLong(), r.get("dedup_reached").asLong(), r.get("dedup_rate").asDouble() * 100));
            }
            if (!q.get("dropped_at").isEmpty()) {
                b.append("| node | kind | records in | dropped |\n| --- | --- | --- | --- |\n");
                q.get("dropped_at").fields().forEachRemaining(e -> b.append("| `").append(e.getKey()).append("` | ").append(e.getValue().get("kind").asText())
                        .append(" | ").append(e.getValue().get("reached").asLong()).append(" | ").append(e.getValue().get("dropped").asLong()).append(" |\n"));
                b.append('\n');
            }
            if (!q.get("filtered_because").isEmpty()) {
                b.append("| reason | records |\n| --- | --- |\n");
                q.get("filtered_because").fields().forEachRemaining(e -> b.append("| ").append(cell(e.getKey())).append(" | ").append(e.getValue().asLong()).append(" |\n"));
                b.append('\n');
            }
        }
        if (!q.get("scores").isEmpty() || !q.get("texts").isEmpty()) {
            b.append("## Quality\n\n");
            q.get("scores").fields().forEachRemaining(e -> {
                JsonNode h = e.getValue();
                b.append("- `").append(e.getKey()).append("`: ").append(h.has("mean") ? String.format(Locale.ROOT, "mean %.2f, ", h.get("mean").asDouble()) : "")
                        .append("distribution ").append(h.get("distribution").toString()).append('\n');
            });
            q.get("texts").fields().forEachRemaining(e -> {
                JsonNode t = e.getValue();
                StringBuilder mix = new StringBuilder();
                t.get("languages").fields().forEachRemaining(l -> mix.append(mix.isEmpty() ? "" : ", ")
                        .append(String.format(Locale.ROOT, "%s %.0f%%", l.getKey(), l.getValue().asDouble() * 100)));
                b.append(String.format(Locale.ROOT, "- `%s`: median %d words (95th percentile %d), distinct-1 %.3f, distinct-2 %.3f, languages %s%n", e.getKey(),
                        t.at("/words/p50").asLong(), t.at("/words/p95").asLong(), t.get("distinct_1").asDouble(), t.get("distinct_2").asDouble(),
                        mix.isEmpty() ? "—" : mix));
            });
            b.append('\n');
        }
        return b.toString();
    }

    /**
     * The languages of the generated texts for the front matter's {@code language} list: every ISO
     * 639-1 code that makes up at least {@value #LANGUAGE_SHARE}% of some text field, in the order
     * of their largest share (undetermined texts are left out).
     */
    static List<String> languages(JsonNode quality) {
        java.util.Map<String, Double> best = new java.util.HashMap<>();
        quality.get("texts").forEach(t -> t.get("languages").fields().forEachRemaining(l -> best.merge(l.getKey(), l.getValue().asDouble(), Math::max)));
        return best.entrySet().stream()
                .filter(e -> !e.getKey().equals(dev.weft.template.Languages.UNDETERMINED) && e.getValue() * 100 >= LANGUAGE_SHARE)
                .sorted((a, b) -> a.getValue().equals(b.getValue()) ? a.getKey().compareTo(b.getKey()) : Double.compare(b.getValue(), a.getValue()))
                .map(java.util.Map.Entry::getKey).toList();
    }

    /** The fields of the first lines, in order of first appearance: records that took other branches may hold other fields. */
    private static List<String> firstLineFields(Path output) throws IOException {
        java.util.LinkedHashSet<String> out = new java.util.LinkedHashSet<>();
        if (!Files.exists(output)) return new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(output, StandardCharsets.UTF_8)) {
            String line;
            for (int n = 0; n < FIELD_SAMPLE && (line = r.readLine()) != null; n++) {
                if (line.isBlank()) continue;
                Iterator<String> names = JSON.readTree(line).fieldNames();
                names.forEachRemaining(out::add);
            }
        }
        return new ArrayList<>(out);
    }

    /** How many output lines the card reads for the fields. */
    private static final int FIELD_SAMPLE = 1000;

    static String sizeCategory(long n) {
        if (n < 1_000) return "n<1K";
        if (n < 10_000) return "1K<n<10K";
        if (n < 100_000) return "10K<n<100K";
        if (n < 1_000_000) return "100K<n<1M";
        if (n < 10_000_000) return "1M<n<10M";
        return "10M<n<100M";
    }

    private static String or(Object v) {
        return v == null ? "—" : v.toString();
    }

    private static String cell(String s) {
        return s.replace("|", "\\|").replaceAll("\\s+", " ");
    }

    private static String yaml(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
