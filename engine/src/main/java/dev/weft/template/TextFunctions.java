package dev.weft.template;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Quality measures usable in any expression ({@code keep: "word_count(answer) >= 20 and
 * type_token_ratio(answer) > 0.4"}): word and character counts, regular-expression match,
 * repetition, lexical diversity, readability and language. Pure functions of their text; thread-safe.
 */
public final class TextFunctions {
    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}]+(?:['’\\-][\\p{L}\\p{N}]+)*");
    private static final Pattern SENTENCE_END = Pattern.compile("[.!?。！？]+");
    private static final Pattern VOWEL_GROUPS = Pattern.compile("[aeiouy]+");

    private TextFunctions() {}

    private static String text(Object o) {
        return o == null ? "" : o.toString();
    }

    /** Words: runs of letters and digits (with inner apostrophes and hyphens). */
    public static long wordCount(Object o) {
        Matcher m = WORD.matcher(text(o));
        long n = 0;
        while (m.find()) n++;
        return n;
    }

    /** Characters (Unicode code points, not UTF-16 units). */
    public static long charCount(Object o) {
        String s = text(o);
        return s.codePointCount(0, s.length());
    }

    /** Whether the pattern (Java regular expression syntax) occurs anywhere in the text. */
    public static boolean matches(Object o, Object pattern) {
        try {
            return Pattern.compile(text(pattern)).matcher(text(o)).find();
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("matches(): invalid regular expression '" + pattern + "': " + e.getDescription());
        }
    }

    /**
     * Share of word 3-grams that repeat an earlier one: 0 for text that never repeats itself, near
     * 1 for a degenerate loop ("the cat the cat the cat ..."). 0 for fewer than four words.
     */
    public static double repetitionRatio(Object o) {
        var words = words(o);
        if (words.size() < 4) return 0;
        Set<String> seen = new HashSet<>();
        int repeated = 0;
        int grams = words.size() - 2;
        for (int i = 0; i < grams; i++) {
            if (!seen.add(words.get(i) + " " + words.get(i + 1) + " " + words.get(i + 2))) repeated++;
        }
        return (double) repeated / grams;
    }

    /** Distinct words over all words (lexical diversity); 0 for empty text. */
    public static double typeTokenRatio(Object o) {
        var words = words(o);
        return words.isEmpty() ? 0 : (double) new HashSet<>(words).size() / words.size();
    }

    /**
     * Flesch reading ease (English): about 90-100 for very easy text, 30 or less for very hard.
     * Syllables are estimated from vowel groups, which is the usual approximation.
     */
    public static double readability(Object o) {
        var words = words(o);
        if (words.isEmpty()) return 0;
        long sentences = Math.max(1, SENTENCE_END.matcher(text(o)).results().count());
        long syllables = 0;
        for (String w : words) syllables += syllables(w);
        double score = 206.835 - 1.015 * words.size() / sentences - 84.6 * (double) syllables / words.size();
        return Math.round(score * 10) / 10.0;
    }

    /** The text's language as an ISO 639-1 code, or {@code und} when it has too few letters to tell (see {@link Languages}). */
    public static String language(Object o) {
        return Languages.detect(text(o));
    }

    private static int syllables(String word) {
        String w = word.toLowerCase(Locale.ROOT);
        if (w.length() > 2 && w.endsWith("e") && !w.endsWith("le")) w = w.substring(0, w.length() - 1);
        int n = (int) VOWEL_GROUPS.matcher(w).results().count();
        return Math.max(1, n);
    }

    private static java.util.List<String> words(Object o) {
        Matcher m = WORD.matcher(text(o).toLowerCase(Locale.ROOT));
        java.util.List<String> out = new java.util.ArrayList<>();
        while (m.find()) out.add(m.group());
        return out;
    }
}
