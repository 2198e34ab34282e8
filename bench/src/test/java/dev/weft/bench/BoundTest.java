package dev.weft.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class BoundTest {
    @Test
    void boundIsTheLargerOfCapacityAndLongestChain() {
        // 8000 calls, 64 in flight, 50 ms: 6.25 s of capacity; a chain of 5 calls is 0.25 s
        Bound b = new Bound(8000, 5, 0.05, 64);
        assertEquals(6.25, b.seconds(), 1e-9);
        assertEquals(1280, b.idealCallsPerSecond(), 1e-9);
        assertEquals(1280, b.callsPerSecond(), 1e-9);
        assertEquals(0.5, b.ratio(12.5), 1e-9);
        // few records: the chain decides
        Bound chain = new Bound(10, 5, 0.05, 64);
        assertEquals(0.25, chain.seconds(), 1e-9);
        assertEquals(40, chain.callsPerSecond(), 1e-9);
    }

    @Test
    void jitterAddsHalfToTheMeanLatency() {
        assertEquals(0.055, Bound.meanLatencySeconds(50, 10), 1e-12);
    }

    @Test
    void greedyScheduleIsNeverBelowTheBound() {
        int[] k = {5, 3, 3, 5, 3, 5, 3, 3};
        double g = Bound.greedy(k, 2, 0.05);
        Bound b = new Bound(30, 5, 0.05, 2);
        assertTrue(g >= b.seconds() - 1e-9);
        assertEquals(0.75, b.seconds(), 1e-9);
        assertEquals(0.80, g, 1e-9); // slots end at 0.80 and 0.70
    }

    @Test
    void probeLogParsesAndInterpolates() {
        ProbeLog p = new ProbeLog();
        p.parse("start 1000");
        p.parse("sample 1000 0 100 10");
        p.parse("sample 1100 50000000 200 30");
        p.parse("gc 1150 G1_Young_Generation G1_Evacuation_Pause 40 5 3");
        p.parse("gc 1160 G1_Full System.gc() 20 4 9");
        p.parse("exit 1200 60000000 300 8");
        p.parse("sample 12"); // torn line
        assertEquals(25_000_000, p.cpuAt(1050));
        assertEquals(55_000_000, p.cpuAt(1150));
        assertEquals(40, p.peakHeap());
        assertEquals(300, p.hwmKb);
        assertEquals(1, p.forcedGcs().size());
        assertEquals(12, p.gcPauseMillis());
    }

    @Test
    void tableAlignsAndDashesMissingFigures() {
        String t = Table.render(List.of(new Bench.Row("c64", 2000, 64, "50", 8000, 10000, 6.5, 1230.8, 1280, 1280, 0.9615,
                Double.NaN, 0.2, "call", 300, 120, 0.01, "ratio >= 0.95", "PASS")));
        assertTrue(t.contains("0.962"), t);
        assertTrue(t.contains("0.200/call"), t);
        assertTrue(t.lines().count() == 3, t);
    }
}
