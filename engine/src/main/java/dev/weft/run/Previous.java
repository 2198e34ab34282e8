package dev.weft.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.WeftException;
import dev.weft.sink.OutputFormat;
import dev.weft.store.RecordPath;
import dev.weft.store.RecordRow;
import dev.weft.store.RecordStatus;
import dev.weft.store.Store;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an earlier attempt of a run left for one source record and its children: their rows (by
 * child path) and the notes of their steps. A record is final when it will not run again: done or
 * filtered, or exploded with every child final. A resumed run skips a final source record, and
 * inside a source record it runs again, skips every final child (with its own children): their
 * lines are written from the store and they are not counted twice. Immutable after loading; read
 * by the threads of one source record.
 */
final class Previous {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Map<String, RecordRow> rows = new LinkedHashMap<>();
    private final List<Store.Note> notes = new ArrayList<>();
    private final Map<String, Boolean> finals = new HashMap<>();

    void add(RecordRow row) {
        rows.put(row.path(), row);
    }

    void add(Store.Note note) {
        notes.add(note);
    }

    RecordRow row(String path) {
        return rows.get(path);
    }

    synchronized boolean isFinal(String path) {
        Boolean known = finals.get(path);
        if (known != null) return known;
        RecordRow r = rows.get(path);
        boolean f = r != null && switch (r.status()) {
            case DONE, FILTERED -> true;
            case FAILED -> false;
            case EXPLODED -> r.children() != null && allChildrenFinal(path, r.children());
        };
        finals.put(path, f);
        return f;
    }

    private boolean allChildrenFinal(String path, int children) {
        for (int i = 0; i < children; i++) if (!isFinal(RecordPath.child(path, i))) return false;
        return true;
    }

    /** The output lines of the done records at and below {@code path}, in record order (none without a format). */
    List<String> lines(String path, OutputFormat format) {
        List<String> out = new ArrayList<>();
        if (format == null) return out;
        RecordRow r = rows.get(path);
        if (r == null) return out;
        if (r.status() == RecordStatus.DONE) {
            out.add(line(format, r));
        } else if (r.status() == RecordStatus.EXPLODED && r.children() != null) {
            for (int i = 0; i < r.children(); i++) out.addAll(lines(RecordPath.child(path, i), format));
        }
        return out;
    }

    /** Gives every ordered node's memory back the notes of final records. */
    void restore(OrderGate gate) {
        for (Store.Note n : notes) {
            var memory = gate.memory(n.node());
            if (memory == null || !isFinal(n.path())) continue;
            memory.restore(new dev.weft.spi.RecordOrder(n.seq(), n.path()), rows.get(n.path()).recordId(), n.note());
        }
    }

    static String line(OutputFormat format, RecordRow row) {
        try {
            Map<String, Object> state = JSON.readValue(row.stateJson(), new TypeReference<LinkedHashMap<String, Object>>() {});
            return JSON.writeValueAsString(format.apply(state, row.recordId()));
        } catch (JsonProcessingException e) {
            throw new WeftException("stored record " + row.recordId() + " is unreadable: " + e.getOriginalMessage(), e);
        }
    }
}
