package dev.weft.store;

/** Where a run stands. A run that is not {@link #COMPLETED} can be resumed. */
public enum RunStatus {
    RUNNING, COMPLETED, FAILED, INTERRUPTED;

    public String label() {
        return name().toLowerCase();
    }

    public static RunStatus parse(String s) {
        return valueOf(s.toUpperCase());
    }
}
