package dev.weft.run;

import java.security.SecureRandom;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/** Run ids that sort by start time and are short enough to type: {@code 20261120-224501-3f9a}. */
final class RunIds {
    private static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");
    private static final SecureRandom RANDOM = new SecureRandom();

    private RunIds() {}

    static String next() {
        return FORMAT.format(ZonedDateTime.now(ZoneOffset.UTC)) + "-" + String.format("%04x", RANDOM.nextInt(0x10000));
    }
}
