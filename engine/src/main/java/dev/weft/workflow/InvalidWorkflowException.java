package dev.weft.workflow;

import dev.weft.WeftException;
import java.util.List;
import java.util.stream.Collectors;

/** A workflow (or what the command line made of it) cannot run; carries every problem found. */
public final class InvalidWorkflowException extends WeftException {
    private final List<Problem> problems;

    public InvalidWorkflowException(List<Problem> problems) {
        super(problems.stream().map(Problem::toString).collect(Collectors.joining("\n")));
        this.problems = List.copyOf(problems);
    }

    public InvalidWorkflowException(Location at, String message) {
        this(List.of(new Problem(at, message)));
    }

    public List<Problem> problems() {
        return problems;
    }
}
