package dev.weft.workflow;

/**
 * Where something stands in a user's file: 1-based line and column. Immutable.
 *
 * @param file the path as the user gave it, or a description such as {@code --set a=b}
 */
public record Location(String file, int line, int column) implements Comparable<Location> {

    /** A location that is not in a file, e.g. a command-line override. */
    public static Location of(String description) {
        return new Location(description, 0, 0);
    }

    public Location shifted(int lines, int columns) {
        return new Location(file, line + lines, column + columns);
    }

    @Override
    public int compareTo(Location o) {
        int c = file.compareTo(o.file);
        if (c != 0) return c;
        c = Integer.compare(line, o.line);
        return c != 0 ? c : Integer.compare(column, o.column);
    }

    @Override
    public String toString() {
        return line <= 0 ? file : file + ":" + line + ":" + column;
    }
}
