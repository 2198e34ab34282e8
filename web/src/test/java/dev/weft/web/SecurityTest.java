package dev.weft.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who may do what: loopback by default, the token for actions, no cross-site actions, no foreign Host names. */
class SecurityTest {
    @TempDir
    Path dir;

    @Test
    void onLoopbackActionsNeedNoTokenButAreSameOriginJsonOnly() throws Exception {
        try (Dash dash = Dash.start(dir)) {
            assertNull(dash.server.token());
            assertTrue(dash.server.url().startsWith("http://127.0.0.1:"));
            HttpResponse<String> form = dash.send(HttpRequest.newBuilder(URI.create(dash.base() + "/api/runs"))
                    .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("{\"workflow\":\"qa/workflow.yaml\"}")).build());
            assertEquals(415, form.statusCode(), "a plain form post from another site is refused");
            HttpResponse<String> cross = dash.post("/api/runs", Map.of("workflow", "qa/workflow.yaml", "simulate", true),
                    "Origin", "http://evil.example");
            assertEquals(403, cross.statusCode(), cross.body());
            assertEquals(0, dash.json("/api/runs").get("total").asLong());
            HttpResponse<String> same = dash.post("/api/runs", Map.of("workflow", "qa/workflow.yaml", "simulate", true, "limit", 1),
                    "Origin", dash.base());
            assertEquals(201, same.statusCode(), same.body());
        }
    }

    @Test
    void aForeignHostNameIsRefused() throws Exception {
        try (Dash dash = Dash.start(dir)) {
            // DNS rebinding: a page of evil.example whose name now points at 127.0.0.1
            String answer = raw(dash.server.port(), "GET /api/runs HTTP/1.1\r\nHost: evil.example:" + dash.server.port() + "\r\nConnection: close\r\n\r\n");
            assertTrue(answer.startsWith("HTTP/1.1 403"), answer);
            String ok = raw(dash.server.port(), "GET /api/runs HTTP/1.1\r\nHost: localhost:" + dash.server.port() + "\r\nConnection: close\r\n\r\n");
            assertTrue(ok.startsWith("HTTP/1.1 200"), ok);
        }
    }

    @Test
    void withATokenEveryActionNeedsItAndReadingDoesNot() throws Exception {
        try (Dash dash = Dash.start(dir, "let-me-in-42")) {
            Map<String, Object> body = Map.of("workflow", "qa/workflow.yaml", "simulate", true, "limit", 1);
            assertEquals(401, dash.post("/api/runs", body).statusCode());
            assertEquals(401, dash.post("/api/runs", body, WebServer.TOKEN_HEADER, "let-me-in-41").statusCode());
            HttpResponse<String> ok = dash.post("/api/runs", body, WebServer.TOKEN_HEADER, "let-me-in-42");
            assertEquals(201, ok.statusCode(), ok.body());
            String id = Dash.parse(ok.body()).get("id").asText();
            dash.awaitEnded(id, 60);
            assertEquals(401, dash.post("/api/runs/" + id + "/export", Map.of("format", "raw")).statusCode());
            assertEquals(401, dash.post("/api/runs/" + id + "/resume", Map.of()).statusCode());
            assertEquals(401, dash.post("/api/runs/" + id + "/cancel", Map.of()).statusCode());
            assertEquals(200, dash.post("/api/runs/" + id + "/export", Map.of("format", "raw"), WebServer.TOKEN_HEADER, "let-me-in-42").statusCode());
            assertEquals(200, dash.get("/api/runs/" + id).statusCode());
            assertTrue(dash.json("/api/info").get("token_required").asBoolean());
            assertTrue(!dash.json("/api/info").toString().contains("let-me-in"), "the token is never answered");
        }
    }

    @Test
    void beyondLoopbackATokenIsGeneratedWhenNoneIsGiven() {
        String t = WebServer.tokenFor("10.1.2.3", null);
        assertTrue(t.matches("[0-9a-f]{48}"), t);
        assertNotEquals(t, WebServer.tokenFor("0.0.0.0", null));
        assertEquals("mine", WebServer.tokenFor("0.0.0.0", "mine"));
        assertNull(WebServer.tokenFor("127.0.0.1", null));
        assertNull(WebServer.tokenFor("localhost", ""));
        assertEquals("mine", WebServer.tokenFor("127.0.0.1", "mine"));
    }

    @Test
    void pagesForbidInlineScriptsAndFraming() throws Exception {
        try (Dash dash = Dash.start(dir)) {
            for (String p : new String[] {"/", "/workflows", "/runs/x", "/runs/x/records/0", "/workflow?path=x"}) {
                HttpResponse<String> r = dash.get(p);
                assertEquals(200, r.statusCode(), p);
                String csp = r.headers().firstValue("Content-Security-Policy").orElse("");
                assertTrue(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), csp);
                assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElse(""));
                assertTrue(!r.body().contains("<script>") && r.body().contains("<script src=\"/assets/"), "no inline script in " + p);
            }
            assertEquals(200, dash.get("/assets/weft.js").statusCode());
        }
    }

    private static String raw(int port, String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
