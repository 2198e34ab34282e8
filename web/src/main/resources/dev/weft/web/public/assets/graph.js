// Draws a workflow graph laid out by the server (layers top to bottom; loop edges on the right)
// as SVG, and updates its per-node counts in place.
"use strict";

const WeftGraph = (() => {
  const {svg, clear, fmt} = W;

  function pathOf(points, back) {
    if (points.length < 2) return "";
    const p = points;
    if (back) {
      // out to the lane beside the layers, along it, back in: rounded corners
      const r = 10;
      const [a, l1, l2, b] = p;
      const out = Math.sign(l1[0] - a[0]) || 1;
      const up = Math.sign(l2[1] - l1[1]) || 1;
      return `M ${a[0]} ${a[1]} L ${l1[0] - out * r} ${l1[1]} Q ${l1[0]} ${l1[1]} ${l1[0]} ${l1[1] + up * r}`
        + ` L ${l2[0]} ${l2[1] - up * r} Q ${l2[0]} ${l2[1]} ${l2[0] - out * r} ${l2[1]} L ${b[0] + out * 6} ${b[1]}`;
    }
    let d = `M ${p[0][0]} ${p[0][1]}`;
    for (let i = 0; i + 1 < p.length; i += 1) {
      const [x1, y1] = p[i];
      const [x2, y2] = p[i + 1];
      if (x1 === x2) { d += ` L ${x2} ${y2}`; continue; }
      const my = (y1 + y2) / 2;
      d += ` C ${x1} ${my} ${x2} ${my} ${x2} ${y2}`;
    }
    return d;
  }

  function edgeLabel(e) {
    const parts = [];
    if (e.when) parts.push("when " + e.when);
    if (e.otherwise) parts.push("otherwise");
    if (e.max !== undefined && e.max !== null) parts.push("max " + e.max);
    return parts.join(" · ");
  }

  /**
   * Draws `layout` into `container`. `onNode(name)` is called when a node is clicked. Returns
   * {update(figures)} where figures are the run's node figures (visits, in_flight, ...).
   */
  function draw(container, layout, onNode, options) {
    const counts = !options || options.counts !== false;
    clear(container);
    const root = svg("svg", {class: "graph", width: layout.width, height: layout.height,
      viewBox: `0 0 ${layout.width} ${layout.height}`, role: "img", "aria-label": "workflow graph"});
    const defs = svg("defs", {},
      svg("marker", {id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse"},
        svg("path", {d: "M 0 0 L 10 5 L 0 10 z", fill: "#98a2b3"})),
      svg("marker", {id: "arrow-back", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse"},
        svg("path", {d: "M 0 0 L 10 5 L 0 10 z", fill: "#b592e6"})));
    root.appendChild(defs);
    const edges = svg("g", {class: "edges"});
    const labels = svg("g", {class: "labels"});
    const nodes = svg("g", {class: "nodes"});
    W.put(root, edges, nodes, labels);
    container.appendChild(root);

    for (const e of layout.edges) {
      if (!e.points || e.points.length < 2) continue;
      const cls = "edge" + (e.back ? " back" : "") + (e.when || e.otherwise ? " cond" : "");
      edges.appendChild(svg("path", {class: cls, d: pathOf(e.points, e.back), "marker-end": e.back ? "url(#arrow-back)" : "url(#arrow)",
        "data-from": e.from, "data-to": e.to}));
      const text = edgeLabel(e);
      if (text && e.label) {
        const t = svg("text", {class: "elabel", x: e.label[0], y: e.label[1] + 4, "text-anchor": e.anchor || "start"}, text);
        labels.appendChild(t);
        try {
          const b = t.getBBox();
          labels.insertBefore(svg("rect", {class: "elabel-bg", x: b.x - 3, y: b.y - 1, width: b.width + 6, height: b.height + 2, rx: 3}), t);
        } catch (ignored) { /* not rendered yet */ }
      }
    }

    const byName = {};
    for (const n of layout.nodes) {
      const terminal = n.kind === "terminal";
      const g = svg("g", {class: "node kind-" + n.kind + (terminal ? " terminal" : ""), "data-node": n.id,
        transform: `translate(${n.x} ${n.y})`});
      g.appendChild(svg("rect", {width: n.w, height: n.h, rx: terminal ? n.h / 2 : 8}));
      if (terminal) {
        g.appendChild(svg("text", {class: "name", x: n.w / 2, y: n.h / 2 + 4, "text-anchor": "middle"}, n.id));
      } else {
        g.appendChild(svg("text", {class: "name", x: 10, y: 18}, n.id));
        g.appendChild(svg("text", {class: "sub", x: 10, y: 33}, n.kind + (n.model ? " · " + n.model : "") + (n.declared ? "" : " (not declared)")));
        if (counts) {
          const c1 = svg("text", {class: "counts", x: 10, y: 52});
          const c2 = svg("text", {class: "counts", x: 10, y: 68});
          W.put(g, c1, c2);
          byName[n.id] = {g, c1, c2};
        } else if (n.description) {
          g.appendChild(svg("text", {class: "counts", x: 10, y: 52}, n.description.length > 34 ? n.description.slice(0, 33) + "…" : n.description));
        }
        if (n.description) g.appendChild(svg("title", {}, n.id + ": " + n.description));
        if (onNode) g.addEventListener("click", () => onNode(n.id));
      }
      nodes.appendChild(g);
    }

    function span(text, cls) {
      return svg("tspan", {class: cls || null}, text);
    }

    function update(figures) {
      const f = {};
      for (const x of figures || []) f[x.node] = x;
      for (const [name, parts] of Object.entries(byName)) {
        const x = f[name] || {visits: 0};
        clear(parts.c1);
        clear(parts.c2);
        const inFlight = x.in_flight;
        W.put(parts.c1, span("visits " + fmt.n(x.visits || 0)));
        if (inFlight !== undefined) W.put(parts.c1, span(" · in flight "), span(fmt.n(inFlight), inFlight > 0 ? "hot" : null));
        const failed = (x.errors || 0);
        W.put(parts.c1, span(" · failed "), span(fmt.n(failed), failed > 0 ? "err" : null));
        W.put(parts.c2, span("hits " + fmt.n(x.cache_hits || 0)));
        W.put(parts.c2, span(" · mean " + (x.visits ? fmt.ms(x.mean_ms) : "–")));
        W.put(parts.c2, span(" · p95 " + (x.visits ? fmt.ms(x.p95_ms) : "–")));
        parts.g.classList.toggle("busy", inFlight > 0);
        parts.g.classList.toggle("bad", failed > 0);
        const title = parts.g.querySelector("title.figures") || svg("title", {class: "figures"});
        title.textContent = `${name}: ${x.visits || 0} visits, ${x.calls || 0} model calls, ${x.cache_hits || 0} cache hits, `
          + `${x.retries || 0} retries, ${failed} failed steps, ${x.filtered || 0} records filtered here, `
          + `mean ${fmt.ms(x.mean_ms)}, p95 ${fmt.ms(x.p95_ms)}, max ${fmt.ms(x.max_ms)}`;
        parts.g.appendChild(title);
      }
    }

    update([]);
    return {update};
  }

  return {draw};
})();
