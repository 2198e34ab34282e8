package dev.weft.template;

import dev.weft.WeftException;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.MissingResourceException;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import opennlp.tools.langdetect.Language;
import opennlp.tools.langdetect.LanguageDetectorME;
import opennlp.tools.langdetect.LanguageDetectorModel;

/**
 * The language of a text as an ISO 639-1 code ({@code en}, {@code de}, {@code zh}), through Apache
 * OpenNLP's language detector and its published model (103 languages, from
 * {@code opennlp-models-langdetect}). Text with fewer than {@link #MIN_LETTERS} letters is
 * {@code und} (undetermined): there is nothing to tell a language by.
 *
 * <p>The model (about 38 MB of heap) is read on the first call, not before, so workflows that never
 * ask for a language never pay for it. Only the first {@link #MAX_CHARS} characters are read: more
 * text does not change the answer, only the time. The answer is a pure function of the text.
 *
 * <p><b>Thread-safety.</b> Safe from any number of threads: the detector holds only immutable state
 * (OpenNLP's {@code LanguageDetectorME} keeps its model and context generator in final fields and
 * evaluates each call on its own arrays).
 */
public final class Languages {
    /** The answer for text that has no language to detect (BCP 47's "undetermined"). */
    public static final String UNDETERMINED = "und";
    /** Fewer letters than this and the answer is {@link #UNDETERMINED}. */
    public static final int MIN_LETTERS = 3;
    /** Characters read from the start of a text. */
    public static final int MAX_CHARS = 4_000;
    private static final String MODEL = "/langdetect-183.bin";
    /**
     * ISO 639-3 codes of the model that Java's locale table cannot map: the standard written forms
     * of a macrolanguage (Mandarin for Chinese, Standard Latvian for Latvian, ...).
     */
    private static final Map<String, String> INDIVIDUAL = Map.of(
            "cmn", "zh", "lvs", "lv", "ekk", "et", "pes", "fa", "zsm", "ms", "pnb", "pa", "arb", "ar");
    /**
     * Never answered: on short text in other languages the model picks Volapük and Plateau
     * Malagasy far more often than they occur (measured: 7 of 163 short test texts in other
     * languages, none of them right), and synthetic data in them is rare.
     */
    private static final Set<String> NEVER = Set.of("vol", "plt");
    private static final Map<String, String> TO_ISO_639_1 = isoTable();
    private static final ReentrantLock LOADING = new ReentrantLock();
    private static volatile LanguageDetectorME detector;

    private Languages() {}

    /**
     * The ISO 639-1 code of the text's language, or {@link #UNDETERMINED}. Of the model's languages,
     * those without a two-letter code (Cebuano, Waray, Low German, ...) and those in {@link #NEVER}
     * are passed over for the most likely one that has one.
     */
    public static String detect(String text) {
        if (text == null || letters(text) < MIN_LETTERS) return UNDETERMINED;
        String head = text;
        if (text.length() > MAX_CHARS) {
            int end = Character.isHighSurrogate(text.charAt(MAX_CHARS - 1)) ? MAX_CHARS - 1 : MAX_CHARS;
            head = text.substring(0, end);
        }
        for (Language l : detector().predictLanguages(head)) {
            String code = NEVER.contains(l.getLang()) ? null : TO_ISO_639_1.get(l.getLang());
            if (code != null) return code;
        }
        return UNDETERMINED;
    }

    private static int letters(String text) {
        int n = 0;
        for (int i = 0; i < text.length() && n < MIN_LETTERS; ) {
            int cp = text.codePointAt(i);
            if (Character.isLetter(cp)) n++;
            i += Character.charCount(cp);
        }
        return n;
    }

    private static LanguageDetectorME detector() {
        LanguageDetectorME d = detector;
        if (d != null) return d;
        // A lock, not `synchronized`: the records that wait for the first load are virtual threads,
        // which a monitor would pin to their carriers for the second the model takes to read.
        LOADING.lock();
        try {
            if (detector == null) detector = load();
            return detector;
        } finally {
            LOADING.unlock();
        }
    }

    private static LanguageDetectorME load() {
        try (InputStream in = Languages.class.getResourceAsStream(MODEL)) {
            if (in == null) {
                throw new WeftException("the language detector's model (" + MODEL.substring(1)
                        + ", from org.apache.opennlp:opennlp-models-langdetect) is not on the class path");
            }
            return new LanguageDetectorME(new LanguageDetectorModel(in));
        } catch (IOException e) {
            throw new WeftException("the language detector's model could not be read: " + e.getMessage(), e);
        }
    }

    private static Map<String, String> isoTable() {
        Map<String, String> m = new HashMap<>();
        for (String two : Locale.getISOLanguages()) {
            try {
                m.put(Locale.of(two).getISO3Language(), two);
            } catch (MissingResourceException noThreeLetterCode) {
                // not every two-letter code has a three-letter one in the JDK's table
            }
        }
        m.putAll(INDIVIDUAL);
        return Map.copyOf(m);
    }
}
