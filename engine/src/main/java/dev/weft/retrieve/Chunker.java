package dev.weft.retrieve;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cuts a text into passages of at most {@code size} characters, each starting {@code overlap}
 * characters (at a word) before the previous one ended. A cut goes, in order of preference, where
 * a paragraph ends, where a sentence ends, at a line break, between words, and only then anywhere;
 * preferably once half the size is filled, so passages stay even (else once a quarter is, at a
 * paragraph, sentence or line end). Markdown is first split into
 * sections at its {@code #} headings (outside code fences): a passage never spans two sections, and
 * knows the headings it lies under. Passages are exact stretches of the text (trimmed), so their
 * line numbers point at the source. Immutable; thread-safe.
 */
final class Chunker {
    /** Bump when a change would cut any text differently: it is part of every index's key. */
    static final int VERSION = 1;
    private static final Pattern PARAGRAPH = Pattern.compile("\\n[ \\t\\r]*\\n\\s*");
    private static final Pattern SENTENCE = Pattern.compile("[.!?][\"')\\]]*\\s+");
    private static final Pattern LINE = Pattern.compile("\\n\\s*");
    private static final Pattern SPACE = Pattern.compile("\\s+");
    private static final Pattern[] STRONG = {PARAGRAPH, SENTENCE, LINE};
    private static final Pattern HEADING = Pattern.compile("^ {0,3}(#{1,6})(?:[ \\t]+(.*?))?(?:[ \\t]+#+)?[ \\t]*$");
    private static final Pattern FENCE = Pattern.compile("^ {0,3}(```|~~~)");
    private final int size;
    private final int overlap;

    Chunker(int size, int overlap) {
        if (size < 1 || overlap < 0 || overlap >= size) throw new IllegalArgumentException("size " + size + ", overlap " + overlap);
        this.size = size;
        this.overlap = overlap;
    }

    /**
     * A passage: {@code [start, end)} of the text, already trimmed.
     *
     * @param heading the markdown headings it lies under, outermost first, joined with " > " (null if none)
     */
    record Piece(int start, int end, String heading) {}

    List<Piece> plain(String text) {
        List<Piece> out = new ArrayList<>();
        split(text, 0, text.length(), null, out);
        return out;
    }

    List<Piece> markdown(String text) {
        List<Piece> out = new ArrayList<>();
        List<String> headings = new ArrayList<>();
        String heading = null;
        int sectionStart = 0;
        boolean fenced = false;
        int lineStart = 0;
        while (lineStart < text.length()) {
            int nl = text.indexOf('\n', lineStart);
            int lineEnd = nl < 0 ? text.length() : nl;
            String line = text.substring(lineStart, lineEnd).replace("\r", "");
            if (FENCE.matcher(line).find()) {
                fenced = !fenced;
            } else if (!fenced) {
                Matcher h = HEADING.matcher(line);
                if (h.matches()) {
                    split(text, sectionStart, lineStart, heading, out);
                    int level = h.group(1).length();
                    while (headings.size() >= level) headings.remove(headings.size() - 1);
                    while (headings.size() < level - 1) headings.add(""); // a skipped level (# then ###)
                    headings.add(h.group(2) == null ? "" : h.group(2).strip());
                    heading = String.join(" > ", headings.stream().filter(s -> !s.isEmpty()).toList());
                    if (heading.isEmpty()) heading = null;
                    sectionStart = lineStart;
                }
            }
            lineStart = nl < 0 ? text.length() : nl + 1;
        }
        split(text, sectionStart, text.length(), heading, out);
        return out;
    }

    /** Cuts {@code [from, to)} of the text into passages. */
    private void split(String text, int from, int to, String heading, List<Piece> out) {
        int start = skipSpace(text, from, to);
        while (start < to) {
            int end = to - start <= size ? to : cut(text, start, Math.min(to, start + size));
            add(text, start, end, heading, out);
            if (end >= to) return;
            start = skipSpace(text, next(text, start, end), to);
        }
    }

    /** Where a passage that starts at {@code start} and may run to {@code limit} ends. */
    private static int cut(String text, int start, int limit) {
        int half = start + (limit - start) / 2;
        for (Pattern p : STRONG) {
            int at = lastBreak(text, p, half, limit);
            if (at > start) return at;
        }
        // A shorter passage that ends with its paragraph or sentence beats a fuller one cut mid-sentence.
        int quarter = start + (limit - start) / 4;
        for (Pattern p : STRONG) {
            int at = lastBreak(text, p, quarter, half);
            if (at > start) return at;
        }
        int at = lastBreak(text, SPACE, half, limit);
        if (at > start) return at;
        // One word longer than a passage: cut it, but not inside a surrogate pair.
        return Character.isLowSurrogate(text.charAt(limit)) && limit - 1 > start ? limit - 1 : limit;
    }

    /** The end of the last match of {@code p} that begins at or after {@code from} and ends by {@code limit}, else -1. */
    private static int lastBreak(String text, Pattern p, int from, int limit) {
        Matcher m = p.matcher(text).region(from, limit);
        int last = -1;
        while (m.find()) last = m.end();
        return last;
    }

    /** Where the passage after {@code [start, end)} begins: {@code overlap} characters back, at the start of a word. */
    private int next(String text, int start, int end) {
        if (overlap == 0) return end;
        int at = end - overlap;
        if (at <= start) return end;
        // Forward to the first word that begins inside the overlap; a word cut in half helps no search.
        if (at > 0 && !Character.isWhitespace(text.charAt(at - 1))) {
            int space = at;
            while (space < end && !Character.isWhitespace(text.charAt(space))) space++;
            if (space < end) at = space;
        }
        if (Character.isLowSurrogate(text.charAt(at))) at++;
        return at;
    }

    private static int skipSpace(String text, int at, int to) {
        while (at < to && Character.isWhitespace(text.charAt(at))) at++;
        return at;
    }

    private static void add(String text, int start, int end, String heading, List<Piece> out) {
        int s = skipSpace(text, start, end);
        int e = end;
        while (e > s && Character.isWhitespace(text.charAt(e - 1))) e--;
        if (e > s) out.add(new Piece(s, e, heading));
    }
}
