package dev.weft.node;

import java.text.Normalizer;
import java.util.Locale;

/**
 * The normalised form of a text that {@code dedup} compares: Unicode NFKC, lower case, and every
 * run of characters other than letters and digits turned into one space, trimmed. So
 * "Hello,  World!" and "hello world" are the same text. Stateless.
 */
final class TextKey {
    private TextKey() {}

    static String of(String text) {
        String s = Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
        StringBuilder b = new StringBuilder(s.length());
        boolean space = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isLetterOrDigit(cp)) {
                if (space && !b.isEmpty()) b.append(' ');
                space = false;
                b.appendCodePoint(cp);
            } else {
                space = true;
            }
        }
        return b.toString();
    }
}
