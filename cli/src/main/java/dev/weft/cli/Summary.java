package dev.weft.cli;

import dev.weft.store.Counters;
import dev.weft.store.NodeStats;
import dev.weft.store.Reason;
import dev.weft.store.RunRow;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/** The run summary printed after `weft run` / `weft resume` and by `weft show`. */
final class Summary {
    private Summary() {}

    static void print(PrintWriter out, RunRow run, List<NodeStats> nodes, List<Reason> failures, List<Reason> filtered) {
        print(out, run, nodes, failures, filtered, new long[2]);
    }

    /** @param exploded how many records fanned out (explode), and into how many children */
    static void print(PrintWriter out, RunRow run, List<NodeStats> nodes, List<Reason> failures, List<Reason> filtered, long[] exploded) {
        Counters c = run.counters();
        out.println("run       " + run.id() + (run.simulated() ? "   [SIMULATED: answers come from the offline simulator, not a model]" : ""));
        out.println("workflow  " + run.workflowName() + "  (" + run.workflowPath() + ")");
        String message = run.orphaned() ? "the process running it is gone; continue with `weft resume " + run.id() + "`" : run.message();
        out.println("status    " + run.statusLabel() + (message == null ? "" : ": " + message));
        out.println("started   " + Format.time(run.createdAt())
                + (run.finishedAt() == null ? "" : "   finished " + Format.time(run.finishedAt())
                + " (" + Format.seconds((run.finishedAt() - run.createdAt()) / 1000.0) + ")"));
        out.println("records   " + c.done() + " done · " + c.failed() + " failed · " + c.filtered() + " filtered"
                + (run.total() == null ? "" : " · " + run.total() + " in source"));
        if (exploded[0] > 0) {
            out.println("explode   " + exploded[0] + (exploded[0] == 1 ? " record" : " records") + " fanned out into " + exploded[1]
                    + " children; done, failed and filtered count the records that ended (children), not the records that fanned out");
        }
        out.println("steps     " + c.steps() + " · model calls " + c.calls() + " · cache hits " + c.cacheHits() + " · retries " + c.retries());
        out.println("tokens    " + c.tokensIn() + " in · " + c.tokensOut() + " out · cost " + Format.cost(c.cost()));
        if (run.outputPath() != null) out.println("output    " + run.outputPath());
        if (!nodes.isEmpty()) {
            out.println();
            out.println(String.format(Locale.ROOT, "%-16s %-10s %7s %7s %7s %7s %7s %9s %9s %9s %10s",
                    "node", "kind", "visits", "calls", "hits", "retries", "failed", "mean ms", "max ms", "tokens", "cost"));
            for (NodeStats n : nodes) {
                out.println(String.format(Locale.ROOT, "%-16s %-10s %7d %7d %7d %7d %7d %9.1f %9d %9d %10s",
                        n.node(), n.kind(), n.visits(), n.calls(), n.cacheHits(), n.retries(), n.failures(), n.meanMillis(),
                        n.maxMillis(), n.tokensIn() + n.tokensOut(), Format.cost(n.cost())));
            }
        }
        reasons(out, "why records failed", failures, run.counters().failed());
        reasons(out, "why records were filtered", filtered, run.counters().filtered());
        out.flush();
    }

    private static void reasons(PrintWriter out, String title, List<Reason> reasons, long total) {
        if (reasons.isEmpty()) return;
        out.println();
        out.println(title + ":");
        long shown = 0;
        for (Reason r : reasons) {
            String text = r.text() == null ? "(no reason given)" : r.text().replaceAll("\\s+", " ");
            if (text.length() > 160) text = text.substring(0, 157) + "...";
            out.println(String.format(Locale.ROOT, "  %6d × %s  (e.g. record %s)", r.count(), text, r.exampleRecordId()));
            shown += r.count();
        }
        if (shown < total) out.println(String.format(Locale.ROOT, "  %6d × other reasons", total - shown));
    }

    /**
     * The summary after `weft run` / `weft resume`: as {@link #print(PrintWriter, dev.weft.store.Store, String)}, but
     * with the status the run ended with even where the store could not record it (a full disk).
     */
    static void print(PrintWriter out, dev.weft.store.Store store, dev.weft.run.RunResult result) {
        RunRow row = store.run(result.runId()).orElseThrow();
        if (row.status() != result.status()) row = row.withStatus(result.status(), result.message(), row.finishedAt(), row.updatedAt());
        print(out, row, store.nodeStats(result.runId()), store.reasons(result.runId(), dev.weft.store.RecordStatus.FAILED, 5),
                store.reasons(result.runId(), dev.weft.store.RecordStatus.FILTERED, 5), store.exploded(result.runId()));
    }

    static void print(PrintWriter out, dev.weft.store.Store store, String runId) {
        print(out, store.run(runId).orElseThrow(), store.nodeStats(runId),
                store.reasons(runId, dev.weft.store.RecordStatus.FAILED, 5), store.reasons(runId, dev.weft.store.RecordStatus.FILTERED, 5),
                store.exploded(runId));
    }
}
