package dev.weft.bench;

import java.util.List;
import java.util.Locale;

/** The benchmark's table: fixed-width columns, "-" where a figure does not apply. */
final class Table {
    private static final String[] HEAD = {"scenario", "N", "C", "L ms", "calls", "steps", "wall s", "calls/s", "ideal C/L",
        "bound/s", "ratio", "steps/s", "CPU ms/op", "RSS MB", "heap MB", "other cores", "target", "result"};

    private Table() {}

    static String render(List<Bench.Row> rows) {
        String[][] cells = new String[rows.size() + 1][];
        cells[0] = HEAD;
        for (int i = 0; i < rows.size(); i++) {
            Bench.Row r = rows.get(i);
            cells[i + 1] = new String[] {r.scenario(), Long.toString(r.n()), Integer.toString(r.c()), r.latency(), Long.toString(r.calls()),
                Long.toString(r.steps()), num(r.seconds(), 2), num(r.callsPerSecond(), 0), num(r.ideal(), 0), num(r.boundPerSecond(), 0),
                num(r.ratio(), 3), num(r.stepsPerSecond(), 0), Double.isNaN(r.cpuMsPerOp()) ? "-" : num(r.cpuMsPerOp(), 3) + "/" + r.op(),
                num(r.rssMb(), 0), num(r.heapMb(), 0), num(r.otherCores(), 2), r.target(), r.result()};
        }
        int[] width = new int[HEAD.length];
        for (String[] row : cells) for (int c = 0; c < row.length; c++) width[c] = Math.max(width[c], row[c].length());
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < HEAD.length; c++) {
                boolean left = c == 0 || c >= HEAD.length - 2;
                String v = cells[i][c];
                String pad = " ".repeat(width[c] - v.length());
                line.append(left ? v + pad : pad + v).append(c == HEAD.length - 1 ? "" : "  ");
            }
            b.append(line.toString().stripTrailing()).append(System.lineSeparator());
            if (i == 0) {
                int total = 0;
                for (int w : width) total += w + 2;
                b.append("-".repeat(total - 2)).append(System.lineSeparator());
            }
        }
        return b.toString();
    }

    static String num(double v, int decimals) {
        if (Double.isNaN(v) || Double.isInfinite(v)) return "-";
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }
}
