package dev.weft.workflow;

import dev.weft.template.TemplateEngine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Property-based fuzzing of the workflow loader: the valid fixtures, mutated line by line and
 * character by character (lines deleted, duplicated, swapped and re-indented, random characters
 * and YAML punctuation inserted, the file truncated, scalars replaced by random values, random
 * {@code --set} overrides). Every mutant either loads, or is rejected with an
 * {@link InvalidWorkflowException} whose every problem has a place in a file (line and column
 * from 1, within the file) or on the command line; never another exception, never a hang.
 *
 * <p>2,000 mutants in every build; {@code -Dweft.long=true} (or {@code WEFT_LONG=1}) adds a run of
 * 100,000.
 */
class WorkflowFuzzTest {
    private static final WorkflowLoader LOADER = new WorkflowLoader(NodeKinds.builtIn(), new TemplateEngine());
    private static final Path VALID = dir();
    private static final Map<String, String> FIXTURES = fixtures();
    /** One thread for every load, so a hang is seen as one (the load is abandoned; it is a daemon). */
    private static ExecutorService loads = newLoadThread();
    private static final AtomicLong LOADED = new AtomicLong();
    private static final AtomicLong REJECTED = new AtomicLong();
    private static final long TIMEOUT_MS = 5_000;

    /** A fixture, the edits made to it, and command-line overrides: shown when a case fails. */
    record Mutant(String fixture, List<Edit> edits, List<String> sets) {
        String text() {
            List<String> lines = new ArrayList<>(List.of(FIXTURES.get(fixture).split("\n", -1)));
            for (Edit e : edits) lines = e.apply(lines);
            // What a file can hold: a UTF-8 file has no lone surrogates (a cut pair becomes '?').
            return new String(String.join("\n", lines).getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return fixture + " " + edits + " " + sets + "\n----- mutated text\n" + text() + "\n-----";
        }
    }

    /** One change to the file's lines. Numbers are taken modulo the current size. */
    sealed interface Edit {
        List<String> apply(List<String> lines);
    }

    record DeleteLine(int at) implements Edit {
        public List<String> apply(List<String> lines) {
            if (lines.size() > 1) lines.remove(at % lines.size());
            return lines;
        }
    }

    record DuplicateLine(int at) implements Edit {
        public List<String> apply(List<String> lines) {
            int i = at % lines.size();
            lines.add(i, lines.get(i));
            return lines;
        }
    }

    record SwapLines(int a, int b) implements Edit {
        public List<String> apply(List<String> lines) {
            java.util.Collections.swap(lines, a % lines.size(), b % lines.size());
            return lines;
        }
    }

    /** Adds (positive) or removes (negative) leading spaces; {@code tab} turns the indentation into a tab. */
    record Indent(int at, int delta, boolean tab) implements Edit {
        public List<String> apply(List<String> lines) {
            int i = at % lines.size();
            String l = lines.get(i);
            String body = l.stripLeading();
            int indent = l.length() - body.length();
            int n = Math.max(0, indent + delta);
            lines.set(i, (tab && n > 0 ? "\t" : " ".repeat(n)) + body);
            return lines;
        }
    }

    /** Inserts text at a character position of a line (may hold newlines, YAML punctuation, anything). */
    record Insert(int at, int column, String text) implements Edit {
        public List<String> apply(List<String> lines) {
            int i = at % lines.size();
            String l = lines.get(i);
            int c = l.isEmpty() ? 0 : column % (l.length() + 1);
            lines.set(i, l.substring(0, c) + text + l.substring(c));
            return lines;
        }
    }

    /** Cuts the file at a character position. */
    record Truncate(int at) implements Edit {
        public List<String> apply(List<String> lines) {
            String all = String.join("\n", lines);
            return new ArrayList<>(List.of(all.substring(0, at % (all.length() + 1)).split("\n", -1)));
        }
    }

    /** Replaces the n-th scalar value (after `key: ` or `- `) with another value. */
    record ReplaceScalar(int nth, String value) implements Edit {
        private static final Pattern SCALAR = Pattern.compile("(?m)(?<=: |^\\s{0,12}- )([^\\s{\\[][^\\n#]*?)(?=\\s*(?:#.*)?$|, |})");

        public List<String> apply(List<String> lines) {
            String all = String.join("\n", lines);
            Matcher m = SCALAR.matcher(all);
            List<int[]> spans = new ArrayList<>();
            while (m.find()) spans.add(new int[] {m.start(1), m.end(1)});
            if (spans.isEmpty()) return lines;
            int[] s = spans.get(nth % spans.size());
            return new ArrayList<>(List.of((all.substring(0, s[0]) + value + all.substring(s[1])).split("\n", -1)));
        }
    }

    // ---- generators: a seeded random source, so a failing case is replayed from its seed

    private static final String PUNCTUATION = ":-?{}[],&*!|>'\"%@`#~=<\\/. \t\n";
    private static final String[] FRAGMENTS = {
        "{{", "}}", "{{ x }}", "{% for %}", "{% if x %}", "{%", "&a ", "*a", "<<: *a", "!!str ", "!!binary ",
        "!!java.lang.Runtime ", "!custom ", "? ", "--- ", "...", "%YAML 1.1\n", "- ", ": ", "\n  ", "\n- x", "'", "\"",
        "|\n", ">-\n", "#", " # c", "😀", "[", "]", "{", "}", ",", "\t", "\r", "\r\n"};
    private static final String[] VALUES = {
        "0", "-1", "1", "2.5", "1e309", "-1e309", "99999999999999999999999", ".nan", ".inf", "-.inf", "0x1F", "0o17",
        "true", "false", "null", "~", "''", "\"\"", "[]", "{}", "[a, b]", "{a: 1}", "*x", "&x v", "!!str 1", "!!bool yes", "!!null",
        "!!int x", "!!float abc", "\"a\\0b\"", "/dev/zero", "/dev/stdin", "/proc/self/mem",
        "'{{'", "\"{{ 7*7 }}\"", "'{% for %}'", "\"{{ missing }}\"", "\"{{ a | nofilter }}\"", "'x -> y'", "END", "START",
        "a -> b -> END", "llm", "judge", "sample", "filter", "transform", "openai", "ollama", "simulated", "raw", "sft",
        "dpo", "multi-turn", "tool-call", "oasst", "language(x) == 'en'", "data/none.jsonl", "../../../../etc/passwd", "/dev/null", "data", "data/topics.jsonl", "1s", "-5ms", "500ms",
        "2m", "10h", "\"\\u0001\"", "'\\'", "\"\\x\"", "x".repeat(5000), "é中😀"};
    private static final String[] OVERRIDE_PATHS = {
        "name", "seed", "source.generate", "source.path", "source.id", "sink.path", "sink.format",
        "nodes.x.kind", "nodes", "edges", "models", "models.m.temperature", "nodes.question.prompt", "a.b.c.d", "", "x.",
        "source..path", "name.x", ".", ".."};

    static Mutant mutant(SplittableRandom r) {
        List<String> names = new ArrayList<>(FIXTURES.keySet());
        String fixture = names.get(r.nextInt(names.size()));
        List<Edit> edits = new ArrayList<>();
        for (int i = 0, n = 1 + r.nextInt(6); i < n; i++) edits.add(edit(r));
        List<String> sets = new ArrayList<>();
        for (int i = 0, n = r.nextInt(3); i < n; i++) sets.add(override(r));
        return new Mutant(fixture, edits, sets);
    }

    private static Edit edit(SplittableRandom r) {
        int at = r.nextInt(10_001);
        int k = r.nextInt(20); // weights 3:2:2:3:4:1:5 as below
        if (k < 3) return new DeleteLine(at);
        if (k < 5) return new DuplicateLine(at);
        if (k < 7) return new SwapLines(at, r.nextInt(10_001));
        if (k < 10) return new Indent(at, r.nextInt(13) - 6, r.nextInt(4) == 0);
        if (k < 14) return new Insert(at, r.nextInt(10_001), noise(r));
        if (k < 15) return new Truncate(at);
        return new ReplaceScalar(at, value(r));
    }

    private static String noise(SplittableRandom r) {
        if (r.nextBoolean()) return FRAGMENTS[r.nextInt(FRAGMENTS.length)];
        StringBuilder b = new StringBuilder();
        for (int i = 0, n = 1 + r.nextInt(12); i < n; i++) {
            int k = r.nextInt(11);
            if (k < 6) b.append(PUNCTUATION.charAt(r.nextInt(PUNCTUATION.length())));
            else if (k < 9) b.append((char) (r.nextBoolean() ? 'a' + r.nextInt(26) : '0' + r.nextInt(10)));
            else if (k < 10) b.append((char) r.nextInt(0x20));
            else b.append("\uFEFF\u00A0\u2028\u0085é中\uFFFF\uFFFD".charAt(r.nextInt(8)));
        }
        return b.toString();
    }

    /** A scalar's replacement: another type, an extreme number, a special file, template or YAML syntax. */
    private static String value(SplittableRandom r) {
        return switch (r.nextInt(4)) {
            case 0, 1 -> VALUES[r.nextInt(VALUES.length)];
            case 2 -> {
                StringBuilder b = new StringBuilder();
                for (int i = 0, n = r.nextInt(21); i < n; i++) b.append((char) (0x20 + r.nextInt(0x5f)));
                yield b.toString();
            }
            default -> r.nextBoolean() ? String.valueOf(r.nextInt()) : String.valueOf(r.nextDouble() * Math.pow(10, r.nextInt(40) - 20));
        };
    }

    private static String override(SplittableRandom r) {
        String eq = new String[] {"=", "", "=="}[r.nextInt(3)];
        // A command-line argument cannot hold a NUL character.
        return (OVERRIDE_PATHS[r.nextInt(OVERRIDE_PATHS.length)] + eq + value(r)).replace('\0', ' ');
    }

    // ---- the properties

    @Test
    void everyMutantLoadsOrIsRejectedWithPlacedProblems() throws Exception {
        fuzz(2_000, Long.getLong("weft.fuzz.seed", 20261120L));
    }

    @Test
    void everyMutantLoadsOrIsRejectedWithPlacedProblemsLong() throws Exception {
        Assumptions.assumeTrue(longVariants(), "long variant: run with -Dweft.long=true or WEFT_LONG=1");
        fuzz(100_000, System.nanoTime());
    }

    /** Each case has its own seed, printed on failure: {@code -Dweft.fuzz.seed=S} with tries 1 replays it. */
    private static void fuzz(int tries, long seed) throws Exception {
        SplittableRandom seeds = new SplittableRandom(seed);
        for (int i = 0; i < tries; i++) {
            long caseSeed = seeds.nextLong();
            Mutant m = mutant(new SplittableRandom(caseSeed));
            try {
                checked(m);
            } catch (AssertionError e) {
                throw new AssertionError("case " + i + " (seed " + caseSeed + "): " + e.getMessage() + "\n" + m, e);
            }
        }
        System.out.println("workflow fuzz: " + LOADED.get() + " mutants loaded, " + REJECTED.get() + " rejected with placed problems");
        if (LOADED.get() + REJECTED.get() < tries) throw new AssertionError("only " + (LOADED.get() + REJECTED.get()) + " mutants reached the loader");
    }

    private static void checked(Mutant mutant) throws Exception {
        String text = mutant.text();
        Path file = VALID.resolve(mutant.fixture());
        Map<String, String> given = Map.of(file.toAbsolutePath().normalize().toString(), text);
        Future<Workflow> load = loads.submit(() -> LOADER.load(file, given, new Overrides(mutant.sets(), List.of())));
        try {
            load.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            LOADED.incrementAndGet();
        } catch (TimeoutException e) {
            load.cancel(true);
            loads.shutdownNow();
            loads = newLoadThread();
            throw new AssertionError("loading did not finish within " + TIMEOUT_MS + " ms (a hang)");
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof InvalidWorkflowException invalid)) {
                throw new AssertionError("not an InvalidWorkflowException: " + e.getCause(), e.getCause());
            }
            REJECTED.incrementAndGet();
            if (invalid.problems().isEmpty()) throw new AssertionError("rejected without a problem");
            long lines = text.lines().count();
            for (Problem p : invalid.problems()) {
                Location at = p.location();
                if (p.message() == null || p.message().isBlank()) throw new AssertionError("a problem without a message at " + at);
                if (p.message().contains("Exception") || p.message().contains("\tat ")) {
                    throw new AssertionError("a Java exception leaks into a problem: " + p);
                }
                if (at.line() == 0 && (at.file().startsWith("--set ") || at.file().startsWith("--model "))) continue;
                if (at.line() < 1 || at.column() < 1) throw new AssertionError("a problem without a place: " + p);
                if (at.file().equals(file.toString()) && at.line() > lines + 1) {
                    throw new AssertionError("a problem placed after the end of the file (" + lines + " lines): " + p);
                }
            }
        }
    }

    static boolean longVariants() {
        return Boolean.getBoolean("weft.long") || "1".equals(System.getenv("WEFT_LONG")) || "true".equals(System.getenv("WEFT_LONG"));
    }

    private static ExecutorService newLoadThread() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fuzz-load");
            t.setDaemon(true);
            return t;
        });
    }

    private static Path dir() {
        try {
            return Path.of(WorkflowFuzzTest.class.getResource("/workflows/valid").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> fixtures() {
        Map<String, String> out = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(VALID)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                out.put(p.getFileName().toString(), Files.readString(p, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (out.size() < 5) throw new IllegalStateException("expected the valid workflow fixtures in " + VALID);
        return out;
    }
}
