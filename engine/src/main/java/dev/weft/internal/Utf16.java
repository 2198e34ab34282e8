package dev.weft.internal;

/** UTF-16 text made safe to write as UTF-8. Stateless. */
public final class Utf16 {
    private Utf16() {}

    /**
     * The text with every lone UTF-16 surrogate replaced by U+FFFD. A JSON string escape in a model's
     * answer or a tool's result can decode to one, and no UTF-8 file can hold it: left in, it failed
     * the sink's write and with it the whole run. Invalid UTF-8 bytes in a body already arrive as
     * U+FFFD, so both read alike. Returns {@code s} itself when there is nothing to replace.
     */
    public static String wellFormed(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                if (b != null) b.append(c).append(s.charAt(i + 1));
                i++;
            } else if (Character.isSurrogate(c)) {
                if (b == null) b = new StringBuilder(s.length()).append(s, 0, i);
                b.append('\uFFFD');
            } else if (b != null) {
                b.append(c);
            }
        }
        return b == null ? s : b.toString();
    }
}
