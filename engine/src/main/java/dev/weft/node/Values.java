package dev.weft.node;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Converts what an expression returns into plain JSON-ready values (for the store and the sink). */
final class Values {
    private Values() {}

    static Object plain(Object v) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Integer) return v;
        if (v instanceof Double || v instanceof Float) return ((Number) v).doubleValue();
        if (v instanceof BigDecimal b) return b.doubleValue();
        if (v instanceof BigInteger b) return b.longValue();
        if (v instanceof Number n) return n;
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, val) -> out.put(String.valueOf(k), plain(val)));
            return out;
        }
        if (v instanceof Collection<?> c) {
            List<Object> out = new ArrayList<>(c.size());
            c.forEach(x -> out.add(plain(x)));
            return out;
        }
        if (v instanceof Object[] a) {
            List<Object> out = new ArrayList<>(a.length);
            for (Object x : a) out.add(plain(x));
            return out;
        }
        return String.valueOf(v);
    }
}
