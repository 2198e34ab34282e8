package dev.weft.workflow;

import java.util.List;

/**
 * Command-line changes to a workflow: {@code --set path=value} for any workflow value and
 * {@code --model PROFILE.key=value} for a model profile. Values are read as YAML scalars, so
 * {@code --set source.generate=10} is a number. Immutable.
 */
public record Overrides(List<String> sets, List<String> models) {
    public static final Overrides NONE = new Overrides(List.of(), List.of());

    public Overrides {
        sets = List.copyOf(sets);
        models = List.copyOf(models);
    }

    public Overrides plus(Overrides more) {
        var s = new java.util.ArrayList<>(sets);
        s.addAll(more.sets);
        var m = new java.util.ArrayList<>(models);
        m.addAll(more.models);
        return new Overrides(s, m);
    }
}
