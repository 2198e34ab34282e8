package dev.weft.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@link FakeModelServer#answerBytes}: the given bytes, unchecked, between the quotes of the answer's content. */
class FakeModelServerRawAnswerTest {
    private static byte[] post(FakeModelServer server, String user) throws Exception {
        String body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + user + "\"}]}";
        HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        return r.body();
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        for (int i = 0; i + needle.length <= hay.length; i++) {
            if (Arrays.equals(hay, i, i + needle.length, needle, 0, needle.length)) return i;
        }
        return -1;
    }

    @Test
    void rawBytesGoVerbatimIntoTheContentString() throws Exception {
        try (FakeModelServer server = FakeModelServer.start()) {
            byte[] raw = {'o', 'k', (byte) 0xC3, 0x28, ' ', (byte) 0xFF, '\\', 'u', 'd', '8', '0', '0'};
            server.answerBytes("broken", raw).answer("plain", "fine");
            byte[] body = post(server, "a broken answer please");
            byte[] expected = new byte[raw.length + 2];
            expected[0] = '"';
            System.arraycopy(raw, 0, expected, 1, raw.length);
            expected[expected.length - 1] = '"';
            int at = indexOf(body, expected);
            assertTrue(at > 0, new String(body, StandardCharsets.ISO_8859_1));
            assertTrue(new String(body, 0, at, StandardCharsets.US_ASCII).endsWith("\"content\":"), "it is the content string");
            assertTrue(new String(post(server, "a plain one"), StandardCharsets.UTF_8).contains("\"content\":\"fine\""));
            server.clearAnswers();
            assertEquals(-1, indexOf(post(server, "a broken answer please"), raw), "forgotten by clearAnswers()");
        }
    }
}
