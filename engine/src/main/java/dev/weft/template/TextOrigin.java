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
 */
public record TextOrigin(Location start, boolean block, int indent) {

    public static TextOrigin ofFile(String file) {
        return new TextOrigin(new Location(file, 1, 1), true, 0);
    }

    /** For a YAML scalar; {@code fileText} is the whole YAML file, used to find a block's indentation. */
    public static TextOrigin ofScalar(YamlValue.Scalar s, String fileText) {
        if (!s.block()) {
            Location at = s.location();
            return new TextOrigin(s.quoted() ? at.shifted(0, 1) : at, false, 0);
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
        return new TextOrigin(new Location(s.location().file(), s.location().line() + 1, 1), true, indent);
    }

    /** Maps a 1-based template line and column to the user's file. */
    public Location locate(int line, int column) {
        if (block) return new Location(start.file(), start.line() + Math.max(line, 1) - 1, Math.max(column, 1) + indent);
        if (line <= 1) return start.shifted(0, Math.max(column, 1) - 1);
        return start.shifted(line - 1, 0); // a folded multi-line flow scalar: the line is the best we know
    }
}
