package dev.weft.testkit;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;

/**
 * A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions wire format (and
 * Ollama's /api/chat), for tests
 * and benchmarks. Answers are deterministic given the request body; faults (429, 500, malformed
 * bodies, hangs, dropped connections, a server that is down) are scripted per request and can be
 * changed while the server runs. Thread-safe.
 *
 * <p>Fault decisions are drawn from one seeded generator, one draw per chat request in arrival
 * order, and never depend on the request body: a retried request can succeed, and a run that
 * sends requests in the same order sees the same faults.
 *
 * <p>Tool calling: a request that offers {@code tools} is answered with a {@code tool_calls} message
 * (by default one call of the first tool, with arguments made from its parameter schema; or a
 * sequence scripted with {@link #toolCalls(String, String...)}), and with text once the calls are
 * done and the last message is a {@code tool} result. Which answer a request gets follows from its
 * body alone (how many tool-call turns it already holds), so a retried request gets the same one.
 *
 * <p>Endpoints: {@code POST /v1/chat/completions}, {@code GET /v1/models}, {@code GET /stats}.
 */
public final class FakeModelServer implements AutoCloseable {
    /**
     * One chat request as the server saw it.
     *
     * @param body             the raw request body
     * @param lastUserMessage  the text of the last {@code user} message; null if the body had none
     * @param model            the requested model; null if the body had none
     * @param status           the HTTP status answered; 0 when the connection was dropped without an
     *                         answer; -1 while the request is still being handled
     * @param receivedAtMillis when the request arrived (epoch millis)
     * @param headers          the request headers (case-insensitive keys; repeated headers joined by ", ")
     */
    public record RecordedRequest(String body, String lastUserMessage, String model, int status, long receivedAtMillis,
                                  Map<String, String> headers) {}

    static {
        // Small JSON answers on keep-alive connections otherwise wait out Nagle's algorithm.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) System.setProperty("sun.net.httpserver.nodelay", "true");
        // The JDK server keeps 200 idle keep-alive connections by default and closes the rest, which
        // a client with more calls in flight sees as dropped connections (measured in bench/).
        if (System.getProperty("sun.net.httpserver.maxIdleConnections") == null) {
            System.setProperty("sun.net.httpserver.maxIdleConnections", "4096");
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String CHAT_PATH = "/v1/chat/completions";
    private static final String OLLAMA_CHAT_PATH = "/api/chat";
    private static final long DEFAULT_SEED = 42;
    private static final String RAW_OPEN = "\uE000raw-";
    private static final String RAW_CLOSE = "\uE001";

    private final HttpServer server;
    private final ExecutorService executor;
    private final int port;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final AtomicBoolean stopped = new AtomicBoolean();

    // ---- script (changeable while running)
    private volatile long latencyMillis;
    private volatile long jitterMillis;
    private volatile double rate429;
    private volatile double rate500;
    private volatile double rateMalformed;
    private volatile double rateTimeout;
    private volatile double rateReset;
    private volatile double retryAfterSeconds = 0.05;
    private volatile long hangMillis = 30_000;
    private volatile boolean down;
    private final Map<String, String> answers = new LinkedHashMap<>(); // guarded by itself
    private final List<byte[]> rawAnswers = new ArrayList<>(); // guarded by answers
    private final Map<String, List<String>> toolScripts = new LinkedHashMap<>(); // guarded by answers
    private final List<FailRule> failRules = new CopyOnWriteArrayList<>();
    private final Object randomLock = new Object();
    private RandomGenerator faultRandom = new SplittableRandom(DEFAULT_SEED); // guarded by randomLock
    private RandomGenerator jitterRandom = new SplittableRandom(DEFAULT_SEED + 1); // guarded by randomLock

    // ---- counters
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong answered = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final List<Entry> log = new ArrayList<>(); // guarded by itself

    private FakeModelServer(int port) throws IOException {
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 4096);
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
        this.port = server.getAddress().getPort();
    }

    /** Starts a server on an ephemeral port of 127.0.0.1. */
    public static FakeModelServer start() {
        return start(0);
    }

    /** Starts a server on the given port of 127.0.0.1 (0 for an ephemeral port). */
    public static FakeModelServer start(int port) {
        try {
            return new FakeModelServer(port);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the fake model server on port " + port, e);
        }
    }

    /** The OpenAI-style base URL, ending in /v1. */
    /** The base URL for an {@code ollama} profile: the same server also answers Ollama's /api/chat. */
    public String ollamaBaseUrl() {
        return "http://127.0.0.1:" + port();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port + "/v1";
    }

    public int port() {
        return port;
    }

    // ---- scripting

    /** Every answered request (200 and 500) first waits this long. */
    public FakeModelServer latency(long millis) {
        this.latencyMillis = Math.max(0, millis);
        return this;
    }

    /** Adds a uniformly random 0..millis to the latency. */
    public FakeModelServer jitter(long millis) {
        this.jitterMillis = Math.max(0, millis);
        return this;
    }

    /** Share of requests answered 429 with {@code Retry-After: <retryAfterSeconds>}. */
    public FakeModelServer rate429(double p) {
        this.rate429 = probability(p);
        return this;
    }

    /** The Retry-After of 429 answers, in seconds (written as a decimal number); default 0.05. */
    public FakeModelServer retryAfterSeconds(double s) {
        if (s < 0) throw new IllegalArgumentException("retryAfterSeconds cannot be negative");
        this.retryAfterSeconds = s;
        return this;
    }

    /** Share of requests answered 500. */
    public FakeModelServer rate500(double p) {
        this.rate500 = probability(p);
        return this;
    }

    /** Share of requests answered 200 with a truncated, unparseable body. */
    public FakeModelServer rateMalformed(double p) {
        this.rateMalformed = probability(p);
        return this;
    }

    /** Share of requests that hang for {@link #hangMillis(long)} before they are answered. */
    public FakeModelServer rateTimeout(double p) {
        this.rateTimeout = probability(p);
        return this;
    }

    /** How long a "timeout" request hangs before it is answered; default 30 s. */
    public FakeModelServer hangMillis(long millis) {
        this.hangMillis = Math.max(0, millis);
        return this;
    }

    /** Share of requests whose connection is closed without any response. */
    public FakeModelServer rateReset(double p) {
        this.rateReset = probability(p);
        return this;
    }

    /** While down, every chat request is answered 503. */
    public FakeModelServer down(boolean down) {
        this.down = down;
        return this;
    }

    /**
     * Answers {@code reply} to every request whose last user message contains the given text; wins
     * over the default and schema answers. The first added rule that matches wins; adding the same
     * text again replaces its reply.
     */
    public FakeModelServer answer(String whenLastUserMessageContains, String reply) {
        synchronized (answers) {
            answers.put(whenLastUserMessageContains, reply);
        }
        return this;
    }

    /**
     * Like {@link #answer(String, String)}, but the answer's content is these bytes, put verbatim
     * between the quotes of the JSON body's content string: nothing is escaped or checked, so they
     * can be invalid UTF-8, or a JSON escape that decodes to a lone surrogate.
     */
    public FakeModelServer answerBytes(String whenLastUserMessageContains, byte[] content) {
        synchronized (answers) {
            rawAnswers.add(content.clone());
            // A placeholder JSON leaves unescaped; replaced by the bytes just before they are sent.
            answers.put(whenLastUserMessageContains, RAW_OPEN + (rawAnswers.size() - 1) + RAW_CLOSE);
        }
        return this;
    }

    /** Forgets every {@link #answer(String, String)}, {@link #answerBytes(String, byte[])} and {@link #toolCalls} rule. */
    public FakeModelServer clearAnswers() {
        synchronized (answers) {
            answers.clear();
            rawAnswers.clear();
            toolScripts.clear();
        }
        return this;
    }

    /**
     * Scripts the tool calls for requests that offer tools and whose last user message contains the
     * given text. Each {@code turn} is one assistant answer: one call per line, written
     * {@code name {"json": "arguments"}} (the arguments may be any text, even invalid JSON, to test
     * how a client copes). A request that already holds {@code n} assistant tool-call turns gets
     * turn {@code n}; once the turns are used up it gets a text answer (an {@link #answer} rule's, or
     * the default). No turns at all: the model answers in text at once. The first added rule that
     * matches wins; adding the same text again replaces its turns.
     */
    public FakeModelServer toolCalls(String whenLastUserMessageContains, String... turns) {
        for (String turn : turns) {
            for (String line : turn.split("\n")) {
                if (!line.isBlank() && !line.trim().matches("[A-Za-z0-9_-]+(\\s.*)?")) {
                    throw new IllegalArgumentException("a scripted tool call is `name {json arguments}`, found: " + line);
                }
            }
        }
        synchronized (answers) {
            toolScripts.put(whenLastUserMessageContains, List.of(turns));
        }
        return this;
    }

    /**
     * The first {@code times} requests whose last user message contains the given text (an empty
     * text matches every request) are answered with {@code status} (a 429 carries Retry-After).
     * Checked after {@link #down(boolean)} and before the random faults.
     */
    public FakeModelServer failFirst(String whenLastUserMessageContains, int times, int status) {
        if (status < 400 || status > 599) throw new IllegalArgumentException("failFirst needs an error status (4xx or 5xx)");
        failRules.add(new FailRule(whenLastUserMessageContains, new AtomicInteger(times), status));
        return this;
    }

    /** Forgets every {@link #failFirst(String, int, int)} rule. */
    public FakeModelServer clearFailFirst() {
        failRules.clear();
        return this;
    }

    /** Restarts the fault and jitter generators from this seed (default 42). */
    public FakeModelServer seed(long seed) {
        synchronized (randomLock) {
            faultRandom = new SplittableRandom(seed);
            jitterRandom = new SplittableRandom(seed + 1);
        }
        return this;
    }

    // ---- introspection

    /** Chat requests received (requests to /v1/chat/completions, whatever became of them). */
    public long requests() {
        return requests.get();
    }

    /** Chat requests answered 200 with a valid body. */
    public long answered() {
        return answered.get();
    }

    /** Chat requests being handled now. */
    public int inFlight() {
        return inFlight.get();
    }

    /** The most chat requests handled at once since start or {@link #resetCounters()}. */
    public int maxInFlight() {
        return maxInFlight.get();
    }

    /** Zeroes requests, answered and maxInFlight (to the current in-flight count) and clears the log. */
    public void resetCounters() {
        requests.set(0);
        answered.set(0);
        maxInFlight.set(inFlight.get());
        synchronized (log) {
            log.clear();
        }
    }

    /** Every chat request since start or {@link #resetCounters()}, in arrival order. */
    public List<RecordedRequest> log() {
        synchronized (log) {
            return log.stream().map(Entry::recorded).toList();
        }
    }

    /** Stops the server at once; requests still hanging are dropped. */
    @Override
    public void close() {
        if (!stopped.compareAndSet(false, true)) return;
        closed.countDown();
        server.stop(0);
        executor.shutdownNow();
    }

    // ---- HTTP

    private void handle(HttpExchange ex) {
        try {
            String path = ex.getRequestURI().getPath();
            if (path.equals(CHAT_PATH) || path.equals(CHAT_PATH + "/")) {
                chat(ex, false);
            } else if (path.equals(OLLAMA_CHAT_PATH)) {
                chat(ex, true);
            } else if (path.equals("/stats") && ex.getRequestMethod().equals("GET")) {
                ObjectNode s = NODES.objectNode();
                s.put("requests", requests.get());
                s.put("answered", answered.get());
                s.put("max_in_flight", maxInFlight.get());
                s.put("in_flight", inFlight.get());
                send(ex, 200, s.toString(), null);
            } else if (path.equals("/v1/models") && ex.getRequestMethod().equals("GET")) {
                send(ex, 200, "{\"object\":\"list\",\"data\":[{\"id\":\"fake-model\",\"object\":\"model\",\"owned_by\":\"weft\"}]}", null);
            } else {
                send(ex, 404, error("Unknown path " + path, "invalid_request_error", "not_found"), null);
            }
        } catch (IOException | RuntimeException e) {
            // The client went away, or we were stopped: nothing more to say.
        } finally {
            ex.close();
        }
    }

    /** @param ollama answer in Ollama's /api/chat format instead of OpenAI's */
    private void chat(HttpExchange ex, boolean ollama) throws IOException {
        long receivedAt = System.currentTimeMillis();
        requests.incrementAndGet();
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        AtomicBoolean finished = new AtomicBoolean();
        Runnable finish = () -> {
            if (finished.compareAndSet(false, true)) inFlight.decrementAndGet();
        };
        Entry entry = null;
        try {
            // One draw per request, whatever it becomes: the fault sequence depends on arrival order only.
            double u;
            long jitter;
            synchronized (randomLock) {
                u = faultRandom.nextDouble();
                long j = jitterMillis;
                jitter = j == 0 ? 0 : jitterRandom.nextLong(j + 1);
            }
            byte[] raw = ex.getRequestBody().readAllBytes();
            String body = new String(raw, StandardCharsets.UTF_8);
            Request req = Request.parse(body);
            entry = new Entry(body, req.lastUser, req.model, receivedAt, headers(ex));
            synchronized (log) {
                log.add(entry);
            }
            if (!ex.getRequestMethod().equals("POST")) {
                reply(ex, entry, finish, 405, error("Use POST for " + CHAT_PATH, "invalid_request_error", null), null);
                return;
            }
            if (down) {
                reply(ex, entry, finish, 503, error("The server is temporarily unavailable (fake: down)", "server_error", null), null);
                return;
            }
            if (req.problem != null) {
                reply(ex, entry, finish, 400, error(req.problem, "invalid_request_error", null), null);
                return;
            }
            for (FailRule rule : failRules) {
                if (req.lastUser != null && req.lastUser.contains(rule.needle) && rule.remaining.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    reply(ex, entry, finish, rule.status, errorFor(rule.status), rule.status == 429 ? retryAfter() : null);
                    return;
                }
            }
            double c = rate429;
            if (u < c) {
                reply(ex, entry, finish, 429, errorFor(429), retryAfter());
                return;
            }
            if (u < (c += rate500)) {
                sleep(latencyMillis + jitter);
                reply(ex, entry, finish, 500, errorFor(500), null);
                return;
            }
            String answer = answer(req, raw, ollama);
            if (u < (c += rateMalformed)) {
                sleep(latencyMillis + jitter);
                reply(ex, entry, finish, 200, answer.substring(0, answer.length() / 2), null);
                return;
            }
            if (u < (c += rateTimeout)) {
                if (closed.await(hangMillis, TimeUnit.MILLISECONDS)) return; // stopped while hanging
                answered(ex, entry, finish, answer);
                return;
            }
            if (u < c + rateReset) {
                entry.status = 0;
                finish.run();
                ex.close(); // no headers sent yet: this closes the connection
                return;
            }
            sleep(latencyMillis + jitter);
            answered(ex, entry, finish, answer);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (entry != null && entry.status == -1 && !finished.get()) entry.status = 0;
            finish.run();
        }
    }

    private void answered(HttpExchange ex, Entry entry, Runnable finish, String answer) throws IOException {
        answered.incrementAndGet();
        entry.status = 200;
        finish.run();
        send(ex, 200, withRawAnswers(answer), null);
    }

    /** The body's bytes, with each {@link #answerBytes} placeholder replaced by its bytes. */
    private byte[] withRawAnswers(String body) {
        int open = body.indexOf(RAW_OPEN);
        if (open < 0) return body.getBytes(StandardCharsets.UTF_8);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(body.length() + 64);
        int from = 0;
        while (open >= 0) {
            int close = body.indexOf(RAW_CLOSE, open);
            if (close < 0) break;
            byte[] raw;
            synchronized (answers) {
                int i = Integer.parseInt(body.substring(open + RAW_OPEN.length(), close));
                raw = i < rawAnswers.size() ? rawAnswers.get(i) : new byte[0];
            }
            out.writeBytes(body.substring(from, open).getBytes(StandardCharsets.UTF_8));
            out.writeBytes(raw);
            from = close + RAW_CLOSE.length();
            open = body.indexOf(RAW_OPEN, from);
        }
        out.writeBytes(body.substring(from).getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /** Settles the counters before a byte is sent, so a client that has its answer sees them current. */
    private static void reply(HttpExchange ex, Entry entry, Runnable finish, int status, String body, String retryAfter) throws IOException {
        entry.status = status;
        finish.run();
        send(ex, status, body, retryAfter);
    }

    private static void send(HttpExchange ex, int status, String body, String retryAfter) throws IOException {
        send(ex, status, body.getBytes(StandardCharsets.UTF_8), retryAfter);
    }

    private static void send(HttpExchange ex, int status, byte[] bytes, String retryAfter) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "application/json");
        if (retryAfter != null) ex.getResponseHeaders().set("Retry-After", retryAfter);
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (var out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private String retryAfter() {
        double s = retryAfterSeconds;
        return s == Math.rint(s) && s < 1e15 ? Long.toString((long) s) : Double.toString(s);
    }

    private static void sleep(long millis) throws InterruptedException {
        if (millis > 0) Thread.sleep(millis);
    }

    private static Map<String, String> headers(HttpExchange ex) {
        Map<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        ex.getRequestHeaders().forEach((k, v) -> h.put(k, String.join(", ", v)));
        return Collections.unmodifiableMap(h);
    }

    // ---- answers

    private String answer(Request req, byte[] raw, boolean ollama) {
        byte[] hash = sha256(raw);
        if (req.tools != null && !req.tools.isEmpty()) {
            ArrayNode calls = toolCallsFor(req, hash);
            if (calls != null) return toolCallAnswer(req, hash, calls, ollama);
        }
        String content = scripted(req.lastUser);
        if (content == null && req.lastTool != null) {
            content = "Done with the tools; the last result was: " + (req.lastTool.length() > 80 ? req.lastTool.substring(0, 80) : req.lastTool)
                    + " #" + HexFormat.of().formatHex(hash, 0, 4);
        }
        if (content == null) {
            JsonNode schema = schemaIn(req.lastUser);
            if (schema != null) {
                content = instance(schema, new SplittableRandom(seedOf(hash)), "").toString();
            } else {
                String last = req.lastUser == null ? "" : req.lastUser;
                content = "Answer: " + (last.length() > 80 ? last.substring(0, 80) : last) + " #"
                        + HexFormat.of().formatHex(hash, 0, 4);
            }
        }
        int promptTokens = tokens(req.promptChars);
        int completionTokens = tokens(content.length());
        if (ollama) {
            ObjectNode o = NODES.objectNode();
            o.put("model", req.model);
            o.put("created_at", java.time.Instant.now().toString());
            ObjectNode message = o.putObject("message");
            message.put("role", "assistant");
            message.put("content", content);
            o.put("done", true);
            o.put("done_reason", "stop");
            o.put("prompt_eval_count", promptTokens);
            o.put("eval_count", completionTokens);
            return o.toString();
        }
        ObjectNode r = NODES.objectNode();
        r.put("id", "chatcmpl-" + HexFormat.of().formatHex(hash, 0, 12));
        r.put("object", "chat.completion");
        r.put("created", System.currentTimeMillis() / 1000);
        r.put("model", req.model);
        ObjectNode choice = r.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        message.put("content", content);
        choice.put("finish_reason", "stop");
        ObjectNode usage = r.putObject("usage");
        usage.put("prompt_tokens", promptTokens);
        usage.put("completion_tokens", completionTokens);
        usage.put("total_tokens", promptTokens + completionTokens);
        return r.toString();
    }

    /** The tool calls this request gets (as [{name, arguments}]), or null for a text answer. */
    private ArrayNode toolCallsFor(Request req, byte[] hash) {
        List<String> script = null;
        if (req.lastUser != null) {
            synchronized (answers) {
                for (Map.Entry<String, List<String>> e : toolScripts.entrySet()) {
                    if (req.lastUser.contains(e.getKey())) {
                        script = e.getValue();
                        break;
                    }
                }
            }
        }
        ArrayNode calls = NODES.arrayNode();
        if (script != null) {
            if (req.toolTurns >= script.size()) return null;
            for (String line : script.get(req.toolTurns).split("\n")) {
                if (line.isBlank()) continue;
                String l = line.trim();
                int space = l.indexOf(' ');
                ObjectNode call = calls.addObject();
                call.put("name", space < 0 ? l : l.substring(0, space));
                call.put("arguments", space < 0 ? "{}" : l.substring(space + 1).trim());
            }
            return calls;
        }
        if (req.lastTool != null || req.toolTurns > 0) return null; // the default: one call, then text
        JsonNode first = req.tools.get(0);
        JsonNode function = first.has("function") ? first.get("function") : first;
        ObjectNode call = calls.addObject();
        call.put("name", function.path("name").asText());
        JsonNode schema = function.path("parameters");
        call.put("arguments", schema.isObject() ? instance(schema, new SplittableRandom(seedOf(hash)), "").toString() : "{}");
        return calls;
    }

    private static String toolCallAnswer(Request req, byte[] hash, ArrayNode calls, boolean ollama) {
        String prefix = "call_" + HexFormat.of().formatHex(hash, 0, 4) + "_";
        int promptTokens = tokens(req.promptChars);
        int completionTokens = tokens(calls.toString().length());
        if (ollama) {
            ObjectNode o = NODES.objectNode();
            o.put("model", req.model);
            o.put("created_at", java.time.Instant.now().toString());
            ObjectNode message = o.putObject("message");
            message.put("role", "assistant");
            message.put("content", "");
            ArrayNode tc = message.putArray("tool_calls");
            for (JsonNode c : calls) {
                ObjectNode fn = tc.addObject().putObject("function");
                fn.put("name", c.get("name").asText());
                JsonNode args;
                try {
                    args = JSON.readTree(c.get("arguments").asText());
                } catch (IOException e) {
                    args = NODES.objectNode();
                }
                fn.set("arguments", args != null && args.isObject() ? args : NODES.objectNode());
            }
            o.put("done", true);
            o.put("done_reason", "stop");
            o.put("prompt_eval_count", promptTokens);
            o.put("eval_count", completionTokens);
            return o.toString();
        }
        ObjectNode r = NODES.objectNode();
        r.put("id", "chatcmpl-" + HexFormat.of().formatHex(hash, 0, 12));
        r.put("object", "chat.completion");
        r.put("created", System.currentTimeMillis() / 1000);
        r.put("model", req.model);
        ObjectNode choice = r.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        message.putNull("content");
        ArrayNode tc = message.putArray("tool_calls");
        int i = 0;
        for (JsonNode c : calls) {
            ObjectNode call = tc.addObject();
            call.put("id", prefix + i++);
            call.put("type", "function");
            ObjectNode fn = call.putObject("function");
            fn.put("name", c.get("name").asText());
            fn.put("arguments", c.get("arguments").asText());
        }
        choice.put("finish_reason", "tool_calls");
        ObjectNode usage = r.putObject("usage");
        usage.put("prompt_tokens", promptTokens);
        usage.put("completion_tokens", completionTokens);
        usage.put("total_tokens", promptTokens + completionTokens);
        return r.toString();
    }

    private String scripted(String lastUser) {
        if (lastUser == null) return null;
        synchronized (answers) {
            for (Map.Entry<String, String> a : answers.entrySet()) if (lastUser.contains(a.getKey())) return a.getValue();
        }
        return null;
    }

    /** The JSON object after "JSON Schema:" in the message, or null. */
    private static JsonNode schemaIn(String lastUser) {
        if (lastUser == null) return null;
        int at = lastUser.lastIndexOf("JSON Schema:");
        if (at < 0) return null;
        int open = lastUser.indexOf('{', at);
        if (open < 0) return null;
        try (JsonParser p = JSON.createParser(lastUser.substring(open))) {
            JsonNode n = p.readValueAsTree();
            return n != null && n.isObject() ? n : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static JsonNode instance(JsonNode schema, SplittableRandom random, String name) {
        if (schema.has("const")) return schema.get("const");
        if (schema.has("enum") && schema.get("enum").isArray() && !schema.get("enum").isEmpty()) {
            JsonNode e = schema.get("enum");
            return e.get(random.nextInt(e.size()));
        }
        String type = typeOf(schema);
        switch (type) {
            case "object" -> {
                ObjectNode o = NODES.objectNode();
                Iterator<Map.Entry<String, JsonNode>> it = schema.path("properties").fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    o.set(e.getKey(), instance(e.getValue(), random, e.getKey()));
                }
                return o;
            }
            case "array" -> {
                ArrayNode a = NODES.arrayNode();
                int min = schema.path("minItems").asInt(1);
                int max = Math.max(min, schema.path("maxItems").asInt(Math.max(min, 3)));
                int n = min + random.nextInt(max - min + 1);
                for (int i = 0; i < n; i++) a.add(instance(schema.path("items"), random, name));
                return a;
            }
            case "integer" -> {
                long min = schema.has("minimum") ? (long) Math.ceil(schema.get("minimum").asDouble()) : 0;
                long max = schema.has("maximum") ? (long) Math.floor(schema.get("maximum").asDouble()) : min + 10;
                if (max < min) max = min;
                return NODES.numberNode(min + random.nextLong(max - min + 1));
            }
            case "number" -> {
                double min = schema.has("minimum") ? schema.get("minimum").asDouble() : 0;
                double max = schema.has("maximum") ? schema.get("maximum").asDouble() : Math.max(1, min + 1);
                if (max < min) max = min;
                double v = Math.round((min + random.nextDouble() * (max - min)) * 100) / 100.0;
                return NODES.numberNode(Math.min(max, Math.max(min, v)));
            }
            case "boolean" -> {
                return NODES.booleanNode(random.nextBoolean());
            }
            case "null" -> {
                return NODES.nullNode();
            }
            default -> {
                return NODES.textNode("fake " + (name.isEmpty() ? "text" : name) + " " + Long.toHexString(random.nextLong() >>> 32));
            }
        }
    }

    private static String typeOf(JsonNode schema) {
        JsonNode t = schema.get("type");
        if (t != null && t.isTextual()) return t.asText();
        if (t != null && t.isArray()) {
            for (JsonNode x : t) if (x.isTextual() && !x.asText().equals("null")) return x.asText();
            return "null";
        }
        return schema.has("properties") ? "object" : schema.has("items") ? "array" : "string";
    }

    private static int tokens(long chars) {
        return (int) ((chars + 3) / 4);
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long seedOf(byte[] hash) {
        long s = 0;
        for (int i = 0; i < 8; i++) s = (s << 8) | (hash[i] & 0xff);
        return s;
    }

    private static String error(String message, String type, String code) {
        ObjectNode e = NODES.objectNode();
        ObjectNode inner = e.putObject("error");
        inner.put("message", message);
        inner.put("type", type);
        inner.putNull("param");
        if (code == null) inner.putNull("code");
        else inner.put("code", code);
        return e.toString();
    }

    private static String errorFor(int status) {
        return switch (status) {
            case 400 -> error("Invalid request (fake)", "invalid_request_error", null);
            case 401 -> error("Incorrect API key provided (fake)", "invalid_request_error", "invalid_api_key");
            case 403 -> error("You are not allowed to use this model (fake)", "invalid_request_error", "permission_denied");
            case 404 -> error("The model does not exist (fake)", "invalid_request_error", "model_not_found");
            case 429 -> error("Rate limit reached for requests (fake)", "requests", "rate_limit_exceeded");
            case 503 -> error("The server is overloaded (fake)", "server_error", null);
            default -> status >= 500 ? error("The server had an error while processing your request (fake)", "server_error", null)
                    : error("Request failed with status " + status + " (fake)", "invalid_request_error", null);
        };
    }

    private static double probability(double p) {
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("a rate is a probability between 0 and 1, found " + p);
        return p;
    }

    private record FailRule(String needle, AtomicInteger remaining, int status) {}

    private static final class Entry {
        final String body;
        final String lastUser;
        final String model;
        final long receivedAt;
        final Map<String, String> headers;
        volatile int status = -1;

        Entry(String body, String lastUser, String model, long receivedAt, Map<String, String> headers) {
            this.body = body;
            this.lastUser = lastUser;
            this.model = model;
            this.receivedAt = receivedAt;
            this.headers = headers;
        }

        RecordedRequest recorded() {
            return new RecordedRequest(body, lastUser, model, status, receivedAt, headers);
        }
    }

    /** What the server reads from a chat request body. */
    /**
     * @param tools     the request's {@code tools} (null if none)
     * @param toolTurns assistant messages with {@code tool_calls} after the last user message
     * @param lastTool  the content of the last message when it is a {@code tool} result, else null
     */
    private record Request(String model, String lastUser, long promptChars, String problem, JsonNode tools, int toolTurns,
                           String lastTool) {
        static Request parse(String body) {
            JsonNode root;
            try {
                root = JSON.readTree(body);
            } catch (IOException e) {
                return new Request(null, null, 0, "We could not parse the JSON body of your request (fake)", null, 0, null);
            }
            if (root == null || !root.isObject()) {
                return new Request(null, null, 0, "The request body must be a JSON object (fake)", null, 0, null);
            }
            String model = root.path("model").isTextual() ? root.get("model").asText() : null;
            JsonNode messages = root.get("messages");
            String lastUser = null;
            long chars = 0;
            int toolTurns = 0;
            String lastTool = null;
            String toolProblem = null;
            java.util.Set<String> callIds = new java.util.HashSet<>();
            if (messages != null && messages.isArray()) {
                for (JsonNode m : messages) {
                    String text = text(m.get("content"));
                    chars += text.length();
                    String role = m.path("role").asText();
                    lastTool = null;
                    if ("user".equals(role)) {
                        lastUser = text;
                        toolTurns = 0;
                    } else if ("assistant".equals(role) && m.path("tool_calls").isArray() && !m.get("tool_calls").isEmpty()) {
                        toolTurns++;
                        for (JsonNode c : m.get("tool_calls")) {
                            chars += c.path("function").path("arguments").toString().length();
                            if (c.path("id").isTextual()) callIds.add(c.get("id").asText());
                        }
                    } else if ("tool".equals(role)) {
                        lastTool = text;
                        // OpenAI refuses a tool result that answers no call made before it (Ollama's carry no ids).
                        if (m.has("tool_call_id") && !callIds.contains(m.path("tool_call_id").asText()) && toolProblem == null) {
                            toolProblem = "Invalid parameter: messages with role 'tool' must be a response to a preceding message with"
                                    + " 'tool_calls' (tool_call_id " + m.path("tool_call_id").asText() + ") (fake)";
                        }
                    }
                }
            }
            JsonNode tools = root.get("tools");
            if (tools != null && !tools.isArray()) toolProblem = "'tools' must be an array (fake)";
            String problem = null;
            if (model == null) problem = "you must provide a model parameter (fake)";
            else if (messages == null || !messages.isArray() || messages.isEmpty()) problem = "'messages' must be a non-empty array (fake)";
            else if (root.has("max_tokens") && !root.get("max_tokens").isNull() && !root.get("max_tokens").canConvertToInt()) {
                problem = "'max_tokens' must be an integer (fake)";
            } else if (root.has("temperature") && !root.get("temperature").isNull() && !root.get("temperature").isNumber()) {
                problem = "'temperature' must be a number (fake)";
            } else if (root.path("stream").asBoolean(false)) {
                problem = "streaming is not supported by the fake server";
            } else if (toolProblem != null) {
                problem = toolProblem;
            }
            return new Request(model, lastUser, chars, problem, tools != null && tools.isArray() ? tools : null, toolTurns, lastTool);
        }

        /** A message's text: a string, or the text parts of a content array. */
        private static String text(JsonNode content) {
            if (content == null || content.isNull()) return "";
            if (content.isTextual()) return content.asText();
            if (content.isArray()) {
                StringBuilder sb = new StringBuilder();
                for (JsonNode part : content) if (part.path("text").isTextual()) sb.append(part.get("text").asText());
                return sb.toString();
            }
            return content.toString();
        }
    }

    // ---- command line

    /**
     * Runs the server until killed: {@code --port N --latency-ms L --jitter-ms J --rate-429 P
     * --rate-500 P --rate-malformed P --rate-timeout P --rate-reset P --retry-after S --seed N}.
     */
    public static void main(String[] args) throws InterruptedException {
        int port = 0;
        Map<String, String> flags = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                System.out.println("usage: FakeModelServer [--port N] [--latency-ms L] [--jitter-ms J] [--rate-429 P] [--rate-500 P]"
                        + " [--rate-malformed P] [--rate-timeout P] [--rate-reset P] [--retry-after S] [--seed N]");
                return;
            }
            String value;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                usage("missing value for " + a);
                return;
            }
            flags.put(a, value);
        }
        try {
            if (flags.containsKey("--port")) port = Integer.parseInt(flags.remove("--port"));
        } catch (NumberFormatException e) {
            usage("--port needs a number");
            return;
        }
        FakeModelServer s = start(port);
        try {
            flags.forEach((k, v) -> {
                switch (k) {
                    case "--latency-ms" -> s.latency(Long.parseLong(v));
                    case "--jitter-ms" -> s.jitter(Long.parseLong(v));
                    case "--rate-429" -> s.rate429(Double.parseDouble(v));
                    case "--rate-500" -> s.rate500(Double.parseDouble(v));
                    case "--rate-malformed" -> s.rateMalformed(Double.parseDouble(v));
                    case "--rate-timeout" -> s.rateTimeout(Double.parseDouble(v));
                    case "--rate-reset" -> s.rateReset(Double.parseDouble(v));
                    case "--retry-after" -> s.retryAfterSeconds(Double.parseDouble(v));
                    case "--seed" -> s.seed(Long.parseLong(v));
                    default -> throw new IllegalArgumentException("unknown flag " + k);
                }
            });
        } catch (IllegalArgumentException e) {
            s.close();
            usage(e.getMessage());
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(s::close, "fake-model-server-stop"));
        PrintStream out = System.out;
        out.println("listening on " + s.baseUrl());
        out.flush();
        s.closed.await();
    }

    private static void usage(String problem) {
        System.err.println("FakeModelServer: " + problem);
        System.exit(2);
    }
}
