package dev.weft.template;

import dev.weft.workflow.Location;
import dev.weft.yaml.YamlValue;

/**
 * Where a template's text came from, so that a position inside the template maps back to the
 * user's file. Immutable.
 *
 * @param start  where the template's first character stands
 * @param block  true for YAML block scalars (| or >) and prompt files: template line N is file
 *               line start+N-1 and columns are shifted by the indentation
 * @param indent the block's indentation (0 for files)
 * @param value  the template text, for inline scalars; null for files (their text is the file)
 * @param source the YAML file's text from the scalar's mark (its first character, quote or block
 *               indicator) on; null when unknown
 * @param mark   where {@code source} begins
 */
public record TextOrigin(Location start, boolean block, int indent, String value, String source, Location mark) {

    public TextOrigin(Location start, boolean block, int indent) {
        this(start, block, indent, null, null, null);
    }

    public static TextOrigin ofFile(String file) {
        return new TextOrigin(new Location(file, 1, 1), true, 0);
    }

    /** For a YAML scalar; {@code fileText} is the whole YAML file, used to find a block's indentation. */
    public static TextOrigin ofScalar(YamlValue.Scalar s, String fileText) {
        String source = null;
        if (fileText != null) {
            int offset = 0;
            for (int line = 1; line < s.location().line() && offset >= 0; line++) {
                offset = fileText.indexOf('\n', offset);
                if (offset >= 0) offset++;
            }
            if (offset >= 0) source = fileText.substring(Math.min(fileText.length(), offset + s.location().column() - 1));
        }
        if (!s.block()) {
            Location at = s.location();
            return new TextOrigin(s.quoted() ? at.shifted(0, 1) : at, false, 0, s.text(), source, at);
        }
        // A block scalar's mark is at its indicator; the text starts on the next line.
        int indent = 0;
        if (fileText != null) {
            String[] lines = fileText.split("\n", -1);
            for (int i = s.location().line(); i < lines.length; i++) {
                String l = lines[i];
                if (l.isBlank()) continue;
                while (indent < l.length() && l.charAt(indent) == ' ') indent++;
                break;
            }
        }
        return new TextOrigin(new Location(s.location().file(), s.location().line() + 1, 1), true, indent, s.text(), source, s.location());
    }

    /** Maps a 1-based template line and column to the user's file. */
    public Location locate(int line, int column) {
        Location exact = tokenInSource(line, column);
        if (exact != null) return exact;
        if (block) return new Location(start.file(), start.line() + Math.max(line, 1) - 1, Math.max(column, 1) + indent);
        if (line <= 1) return start.shifted(0, Math.max(column, 1) - 1);
        return start.shifted(line - 1, 0); // a folded multi-line flow scalar: the line is the best we know
    }

    /**
     * Errors and reads are reported at the start of a tag ({@code {{}, {@code {%} or {@code {#}).
     * YAML changes the text between tags (folds lines, drops indentation, resolves escapes such as
     * {@code \n}), so template lines and columns do not map onto the file by arithmetic; but the
     * n-th {@code {{} of the value is the n-th {@code {{} of the scalar's source. Null when the
     * position is not at a tag or the source is unknown.
     */
    private Location tokenInSource(int line, int column) {
        if (value == null || source == null) return null;
        int offset = 0;
        for (int l = 1; l < line && offset >= 0; l++) {
            offset = value.indexOf('\n', offset);
            if (offset >= 0) offset++;
        }
        if (offset < 0) return null;
        offset += Math.max(column, 1) - 1;
        if (offset + 2 > value.length()) return null;
        String token = value.substring(offset, offset + 2);
        if (!token.equals("{{") && !token.equals("{%") && !token.equals("{#")) return null;
        int n = 0;
        for (int i = value.indexOf(token); i >= 0 && i < offset; i = value.indexOf(token, i + 1)) n++;
        int at = source.indexOf(token);
        for (int k = 0; k < n && at >= 0; k++) at = source.indexOf(token, at + 1);
        if (at < 0) return null;
        int l = mark.line();
        int c = mark.column();
        for (int i = 0; i < at; i++) {
            if (source.charAt(i) == '\n') {
                l++;
                c = 1;
            } else {
                c++;
            }
        }
        return new Location(mark.file(), l, c);
    }
}
