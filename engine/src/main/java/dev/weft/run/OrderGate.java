package dev.weft.run;

import dev.weft.graph.WorkflowGraph;
import dev.weft.spi.OrderedMemory;
import dev.weft.spi.RecordOrder;
import dev.weft.workflow.EdgeDef;
import dev.weft.workflow.NodeDef;
import dev.weft.workflow.Workflow;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jgrapht.Graph;
import org.jgrapht.traverse.BreadthFirstIterator;

/**
 * Lets records through a run's ordered nodes (dedup) in record order, whatever order they arrive
 * in: a record at an ordered node waits until every record before it has passed that node or can
 * no longer reach it. To know that, the gate keeps where every unsettled record is (the node it
 * runs or is about to run) and which ordered nodes each node can reach along the graph's edges.
 * A record that has not started yet comes after every record in flight (sources are read in
 * order, and an explode's children are registered before their parent leaves), so it never holds
 * anyone up; the earliest unsettled record never waits, so records always move on. Ordered nodes
 * are kept out of cycles by the validator: once a record has left one, it cannot come back.
 * Also holds each ordered node's memory for the run. Without ordered nodes every call is free.
 * Thread-safe.
 */
final class OrderGate {
    private final Map<String, Set<String>> reaches;
    private final Map<String, OrderedMemory> memories = new LinkedHashMap<>();
    private final boolean active;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition moved = lock.newCondition();
    private final TreeMap<RecordOrder, String> at = new TreeMap<>(); // guarded by lock

    OrderGate(Workflow wf) {
        for (NodeDef n : wf.nodes().values()) if (n.node().ordered()) memories.put(n.name(), n.node().newMemory());
        this.active = !memories.isEmpty();
        this.reaches = active ? reachability(wf, memories.keySet()) : Map.of();
    }

    /** For each node, the ordered nodes reachable from it (itself included). */
    private static Map<String, Set<String>> reachability(Workflow wf, Set<String> ordered) {
        Graph<String, EdgeDef> g = WorkflowGraph.of(wf.nodes().keySet(), wf.edges());
        Map<String, Set<String>> out = new HashMap<>();
        for (String from : wf.nodes().keySet()) {
            Set<String> found = new HashSet<>();
            new BreadthFirstIterator<>(g, from).forEachRemaining(v -> {
                if (ordered.contains(v)) found.add(v);
            });
            out.put(from, found);
        }
        return out;
    }

    /** True when the workflow has ordered nodes (otherwise nothing needs tracking). */
    boolean active() {
        return active;
    }

    /** The memory of an ordered node for this run; null for any other node. */
    OrderedMemory memory(String node) {
        return memories.get(node);
    }

    /** A source record about to start at {@code node}; call in source order, before it runs. */
    void enter(RecordOrder record, String node) {
        if (!active) return;
        lock.lock();
        try {
            at.put(record, node);
        } finally {
            lock.unlock();
        }
    }

    /** The record is about to run {@code node}. */
    void move(RecordOrder record, String node) {
        if (!active) return;
        lock.lock();
        try {
            String was = at.put(record, node);
            // Only a record that can no longer reach an ordered node it could reach before lets anyone through.
            if (was != null && !reaches.get(node).containsAll(reaches.get(was))) moved.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The record fanned out at {@code node} into these children (those that will run); they take its place. */
    void fanOut(RecordOrder parent, Collection<RecordOrder> children, String node) {
        if (!active) return;
        lock.lock();
        try {
            for (RecordOrder c : children) at.put(c, node);
            at.remove(parent);
            moved.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The record is settled (or given up); idempotent. */
    void leave(RecordOrder record) {
        if (!active) return;
        lock.lock();
        try {
            if (at.remove(record) != null) moved.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits until no record before {@code record} can still reach {@code node}; returns the node's memory. */
    OrderedMemory await(RecordOrder record, String node) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (blocked(record, node)) moved.await();
        } finally {
            lock.unlock();
        }
        return memories.get(node);
    }

    private boolean blocked(RecordOrder record, String node) {
        for (String where : at.headMap(record, false).values()) if (reaches.get(where).contains(node)) return true;
        return false;
    }
}
