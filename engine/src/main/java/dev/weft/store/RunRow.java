package dev.weft.store;

/**
 * A run as stored. Immutable. Counters are totals over every attempt of the run (a resumed run
 * adds to them); {@code bundle} is the workflow text and its prompt files as the run saw them;
 * {@code owner} is {@code pid@host} of the process that last ran it.
 */
public record RunRow(
        String id,
        String workflowName,
        String workflowPath,
        String workflowHash,
        String bundle,
        String options,
        RunStatus status,
        boolean simulated,
        long createdAt,
        long updatedAt,
        Long finishedAt,
        String message,
        Long total,
        Counters counters,
        String outputPath,
        String owner) {

    /** This machine's name for {@link #owner()}. */
    public static String thisProcess() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "localhost";
        }
        return ProcessHandle.current().pid() + "@" + host;
    }

    /**
     * True when the run says it is running but the process that ran it, on this machine, is gone
     * (killed, crashed, machine restarted): it can be resumed.
     */
    public boolean orphaned() {
        return status == RunStatus.RUNNING && ownerPid() >= 0 && !ProcessHandle.of(ownerPid()).map(ProcessHandle::isAlive).orElse(false);
    }

    /** True when another live process on this machine is running this run right now. */
    public boolean runningElsewhere() {
        long pid = ownerPid();
        return status == RunStatus.RUNNING && pid >= 0 && pid != ProcessHandle.current().pid()
                && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** The owner's pid if it ran on this machine, else -1: about another machine's processes we cannot tell. */
    private long ownerPid() {
        if (owner == null) return -1;
        int at = owner.indexOf('@');
        String me = thisProcess();
        if (at < 0 || !owner.substring(at).equals(me.substring(me.indexOf('@')))) return -1;
        try {
            return Long.parseLong(owner.substring(0, at));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The status as a user should read it: a run whose process is gone is "stopped", not "running". */
    public String statusLabel() {
        return orphaned() ? "stopped" : status.label();
    }

    public RunRow withStatus(RunStatus s, String msg, Long finished, long now) {
        return new RunRow(id, workflowName, workflowPath, workflowHash, bundle, options, s, simulated, createdAt, now,
                finished, msg, total, counters, outputPath, owner);
    }
}
