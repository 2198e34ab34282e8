package dev.weft.node;

import java.text.Normalizer;
import java.util.Locale;

/**
 * The normalised form of a text that {@code dedup} compares: Unicode NFKC, lower case, and every
 * run of spaces, control characters and punctuation turned into one space, trimmed. So
 * "Hello,  World!" and "hello world" are the same text, while symbols and combining marks stay
 * ("C++" is not "C"; the vowel signs of Devanagari are kept). Stateless.
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
            if (Character.getType(cp) == Character.FORMAT) continue; // zero-width spaces and joiners: invisible, so not there
            if (!separator(cp)) {
                if (space && !b.isEmpty()) b.append(' ');
                space = false;
                b.appendCodePoint(cp);
            } else {
                space = true;
            }
        }
        return b.toString();
    }

    private static boolean separator(int cp) {
        if (Character.isWhitespace(cp) || Character.isSpaceChar(cp) || Character.isISOControl(cp)) return true;
        return switch (Character.getType(cp)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION, Character.END_PUNCTUATION,
                 Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION, Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }
}
