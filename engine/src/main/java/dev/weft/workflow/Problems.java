package dev.weft.workflow;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Collects every problem found while reading a workflow, so that the user sees all of them at
 * once instead of fixing one per run. Not thread-safe: one loader uses one instance.
 */
public final class Problems {
    private final TreeSet<Problem> problems = new TreeSet<>();

    public void add(Location at, String message) {
        problems.add(new Problem(at, message));
    }

    public boolean isEmpty() {
        return problems.isEmpty();
    }

    public int size() {
        return problems.size();
    }

    public List<Problem> list() {
        return new ArrayList<>(problems);
    }

    /** Throws {@link InvalidWorkflowException} if anything was collected. */
    public void throwIfAny() {
        if (!problems.isEmpty()) throw new InvalidWorkflowException(list());
    }
}
