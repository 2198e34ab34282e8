package dev.weft.web;

import dev.weft.spi.Node;
import dev.weft.spi.StepContext;
import dev.weft.spi.StepOutcome;
import dev.weft.template.FieldRead;
import dev.weft.workflow.NodeDef;
import dev.weft.workflow.Workflow;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts the records inside each node right now, for a run this server runs: every node of the
 * workflow is wrapped in a counting node that does exactly what it wraps (same name, kind,
 * version and configuration, so cache keys do not change). Thread-safe.
 */
final class InFlight {
    private final Map<String, AtomicInteger> at = new ConcurrentHashMap<>();

    Workflow wrap(Workflow wf) {
        Map<String, NodeDef> nodes = new LinkedHashMap<>();
        wf.nodes().forEach((name, n) -> {
            AtomicInteger counter = at.computeIfAbsent(name, k -> new AtomicInteger());
            nodes.put(name, new NodeDef(n.name(), n.kind(), n.kindVersion(), new Counted(n.node(), counter), n.cache(), n.identity(),
                    n.location()));
        });
        return new Workflow(wf.name(), wf.description(), wf.file(), wf.seed(), wf.models(), wf.source(), java.util.Collections.unmodifiableMap(nodes), wf.edges(),
                wf.sink(), wf.start(), wf.bundle(), wf.hash());
    }

    /** Records inside each node now (nodes with none are included with 0). */
    Map<String, Integer> snapshot() {
        Map<String, Integer> m = new TreeMap<>();
        at.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    private record Counted(Node inner, AtomicInteger counter) implements Node {
        @Override
        public List<FieldRead> reads() {
            return inner.reads();
        }

        @Override
        public Set<String> writes() {
            return inner.writes();
        }

        @Override
        public boolean ordered() {
            return inner.ordered();
        }

        @Override
        public dev.weft.spi.OrderedMemory newMemory() {
            return inner.newMemory();
        }

        @Override
        public StepOutcome run(StepContext context) throws InterruptedException {
            counter.incrementAndGet();
            try {
                return inner.run(context);
            } finally {
                counter.decrementAndGet();
            }
        }
    }
}
