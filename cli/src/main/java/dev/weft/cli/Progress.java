package dev.weft.cli;

import dev.weft.run.RunMonitor;
import dev.weft.store.Counters;
import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Shows a run's progress while it runs: a live bar on a terminal, a plain line every few seconds
 * otherwise (logs, CI). Polls the {@link RunMonitor} on its own thread.
 */
final class Progress implements AutoCloseable {
    private final RunMonitor monitor;
    private final String task;
    private final boolean quiet;
    private final PrintStream err;
    private final Thread thread;
    private volatile boolean stop;

    Progress(RunMonitor monitor, String task, boolean quiet) {
        this.monitor = monitor;
        this.task = task;
        this.quiet = quiet;
        this.err = System.err;
        this.thread = Thread.ofPlatform().daemon(true).name("weft-progress").start(this::loop);
    }

    private void loop() {
        if (quiet) return;
        if (interactive()) bar();
        else lines();
    }

    /** Java 22+ returns a Console even when output is redirected; isTerminal() tells (absent on 21). */
    static boolean interactive() {
        java.io.Console console = System.console();
        if (console == null) return false;
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    private void bar() {
        long total = monitor.total();
        ProgressBar pb = new ProgressBarBuilder().setTaskName(task).setInitialMax(total < 0 ? -1 : total)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).continuousUpdate().setMaxRenderedLength(120)
                .showSpeed().setUnit(" rec", 1).build();
        try (pb) {
            while (!stop) {
                if (pb.getMax() < 0 && monitor.total() >= 0) pb.maxHint(monitor.total());
                Counters c = monitor.snapshot();
                pb.stepTo(monitor.sourcesSettled());
                String busy = monitor.activity();
                pb.setExtraMessage(" " + (busy != null ? busy : extra(c)));
                sleep(200);
            }
            Counters c = monitor.snapshot();
            pb.stepTo(monitor.sourcesSettled());
            pb.setExtraMessage(" " + extra(c));
        }
    }

    private void lines() {
        long last = System.nanoTime();
        long busySince = 0;
        long busyShown = 0;
        while (!stop) {
            sleep(200);
            long now = System.nanoTime();
            String busy = monitor.activity();
            if (busy == null) {
                busySince = 0;
            } else {
                if (busySince == 0) busySince = now;
                // Only what lasts gets a line (indexing a corpus, say); loading a stored index says nothing.
                if (now - busySince > 2_000_000_000L && now - busyShown > 5_000_000_000L) {
                    err.println(task + ": " + busy);
                    err.flush();
                    busyShown = now;
                }
            }
            if (now - last > 10_000_000_000L) {
                err.println(task + ": " + line(monitor.snapshot()));
                err.flush();
                last = System.nanoTime();
            }
        }
    }

    private String line(Counters c) {
        long total = monitor.total();
        // Progress counts source records (what the total counts); done/failed/filtered count an explode's children too.
        long settled = monitor.sourcesSettled();
        double rate = (settled - monitor.sourcesSettledBefore()) / Math.max(0.001, monitor.elapsedSeconds());
        String eta = total > 0 && rate > 0 ? " · eta " + Format.seconds((total - settled) / rate) : "";
        return settled + (total >= 0 ? "/" + total : "") + " records · " + extra(c)
                + String.format(Locale.ROOT, " · %.1f rec/s", rate) + eta;
    }

    private static String extra(Counters c) {
        return "done " + c.done() + " · failed " + c.failed() + " · filtered " + c.filtered() + " · "
                + Format.count(c.tokensIn() + c.tokensOut()) + " tok · " + Format.cost(c.cost());
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop = true;
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
