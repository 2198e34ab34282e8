package dev.weft.graph;

import dev.weft.workflow.EdgeDef;
import java.util.Collection;
import java.util.List;
import org.jgrapht.Graph;
import org.jgrapht.graph.DirectedPseudograph;

/** Builds the JGraphT graph of a workflow: nodes plus START and END, edges as declared. */
public final class WorkflowGraph {
    private WorkflowGraph() {}

    public static Graph<String, EdgeDef> of(Collection<String> nodes, List<EdgeDef> edges) {
        Graph<String, EdgeDef> g = new DirectedPseudograph<>(EdgeDef.class);
        g.addVertex(EdgeDef.START);
        nodes.forEach(g::addVertex);
        g.addVertex(EdgeDef.END);
        boolean explicitStart = edges.stream().anyMatch(e -> e.from().equals(EdgeDef.START));
        if (!explicitStart && !nodes.isEmpty()) {
            String first = nodes.iterator().next();
            g.addEdge(EdgeDef.START, first, new EdgeDef(EdgeDef.START, first, null, false, null, new dev.weft.workflow.Location("", 0, 0)));
        }
        for (EdgeDef e : edges) g.addEdge(e.from(), e.to(), e);
        return g;
    }
}
