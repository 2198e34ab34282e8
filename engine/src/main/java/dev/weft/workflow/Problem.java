package dev.weft.workflow;

/** One thing wrong with a workflow, at its place. Immutable. */
public record Problem(Location location, String message) implements Comparable<Problem> {
    @Override
    public int compareTo(Problem o) {
        int c = location.compareTo(o.location);
        return c != 0 ? c : message.compareTo(o.message);
    }

    @Override
    public String toString() {
        return location + ": " + message;
    }
}
