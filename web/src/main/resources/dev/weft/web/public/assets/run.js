// A run: live figures, the graph with per-node counts, progress, judge scores, reasons, and the
// records table (paged; filtered by status, node reached and text).
"use strict";
(() => {
  const {el, svg, clear, fmt, badge, bar, get, post} = W;
  W.header("runs");
  const runId = decodeURIComponent(location.pathname.split("/")[2]);
  const api = "/api/runs/" + encodeURIComponent(runId);
  document.title = runId + " · Weft";
  const app = clear(document.getElementById("app"));

  // ---- skeleton
  const title = el("h1", {id: "run-title"});
  const sub = el("div", {class: "muted", id: "run-sub"});
  const message = el("div", {id: "run-message"});
  const actionMsg = el("div", {id: "action-message"});
  const resumeBtn = el("button", {id: "resume", class: "primary"}, "Resume");
  const cancelBtn = el("button", {id: "cancel", class: "danger"}, "Cancel");
  const exportSel = el("select", {id: "export-format"}, ["raw", "sft", "dpo", "multi-turn", "tool-call", "oasst"].map(f => el("option", {value: f}, f)));
  const exportBtn = el("button", {id: "export"}, "Export JSONL");
  const cards = el("div", {class: "cards", id: "cards"});
  const graphBox = el("div", {class: "graph-wrap", id: "graph"}, el("p", {class: "muted"}, "Drawing…"));
  const nodesBody = el("tbody", {id: "nodes-body"});
  const progressBox = el("div", {id: "progress"});
  const scoresBox = el("div", {id: "scores"});
  const reasonsBox = el("div", {id: "reasons"});
  const qualityBox = el("div", {id: "quality"});
  const qualityBtn = el("button", {id: "measure"}, "Measure lengths, diversity and languages");
  const statusSel = el("select", {id: "rec-status"}, ["", "done", "failed", "filtered", "exploded"].map(s => el("option", {value: s}, s || "any status")));
  const nodeSel = el("select", {id: "rec-node"}, el("option", {value: ""}, "any node"));
  const search = el("input", {type: "search", id: "rec-search", placeholder: "record id or text…", size: 28});
  const recBody = el("tbody", {id: "records-body"});
  const recPager = el("div", {class: "pager", id: "records-pager"});

  W.put(app, 
    el("div", {class: "crumbs"}, el("a", {href: "/"}, "Runs"), " / ", runId),
    title, sub, message,
    el("div", {class: "toolbar"}, resumeBtn, cancelBtn, el("span", {class: "muted"}, "·"), exportSel, exportBtn, actionMsg),
    cards,
    el("div", {class: "panel"}, el("h2", {}, "Graph"),
      el("div", {class: "muted", style: null}, "Per node: visits, records in flight now, failed steps; cache hits, mean and p95 latency. Click a node to list the records that reached it."),
      graphBox),
    el("div", {class: "panel"}, el("h2", {}, "Nodes"),
      el("div", {class: "table-wrap"}, el("table", {id: "nodes"},
        el("thead", {}, el("tr", {}, ["Node", "Kind"].map(h => el("th", {}, h)),
          ["Visits", "In flight", "Model calls", "Cache hits", "Retries", "Failed steps", "Records failed", "Records filtered",
            "Mean", "p95", "Max", "Tokens", "Cost"].map(h => el("th", {class: "num"}, h)))),
        nodesBody))),
    el("div", {class: "row"},
      el("div", {class: "panel"}, el("h2", {}, "Progress over time"), progressBox),
      el("div", {class: "panel"}, el("h2", {}, "Judge scores"), scoresBox)),
    el("div", {class: "panel"}, el("h2", {}, "Why records failed or were filtered"), reasonsBox),
    el("div", {class: "panel"}, el("h2", {}, "Generated texts"),
      el("div", {class: "toolbar"}, qualityBtn, el("span", {class: "muted"},
        "length, distinct-1 / distinct-2 diversity and language mix of every generated text field over the done records (as `weft show RUN --quality`)")),
      qualityBox),
    el("div", {class: "panel"}, el("h2", {}, "Records"),
      el("div", {class: "toolbar"}, el("label", {}, "Status", statusSel), el("label", {}, "Reached node", nodeSel), search,
        el("button", {id: "rec-go", onclick: () => loadRecords(-1, true)}, "Search")),
      el("div", {class: "table-wrap"}, el("table", {id: "records"},
        el("thead", {}, el("tr", {}, el("th", {class: "num"}, "#"), el("th", {}, "Record id"), el("th", {}, "Status"),
          el("th", {}, "Ended at"), el("th", {class: "num"}, "Steps"), el("th", {class: "num"}, "Calls / hits"),
          el("th", {class: "num"}, "Tokens"), el("th", {class: "num"}, "Cost"), el("th", {class: "num"}, "Time"),
          el("th", {}, "Error or reason"))),
        recBody)),
      recPager));

  // ---- header, cards, actions
  let run = null;
  function renderRun(r) {
    run = r;
    W.put(clear(title), el("span", {class: "mono"}, r.id), badge(r.status), r.simulated ? badge("simulated", "sim") : null);
    W.put(clear(sub), "Workflow ", el("a", {href: "/workflow?path=" + encodeURIComponent(r.workflow_path)}, r.workflow),
      " · ", el("span", {class: "mono"}, r.workflow_display), " · started ", fmt.time(r.created_at),
      r.output_path ? [" · output ", el("span", {class: "mono"}, r.output_path)] : null,
      r.live ? " · running in this dashboard" : "");
    clear(message);
    if (r.message) message.appendChild(el("div", {class: r.status === "failed" ? "error-box" : "notice"}, r.message));
    resumeBtn.disabled = !r.can_resume;
    resumeBtn.title = r.can_resume ? "Continue this run: finished records are kept; finished steps are cache hits"
      : r.status === "completed" ? "The run completed" : "Not resumable from here";
    cancelBtn.disabled = !r.can_cancel;
    cancelBtn.title = r.can_cancel ? "Stop starting records; the run ends interrupted and can be resumed"
      : "Only a run this dashboard runs can be cancelled here";
    const total = r.total !== undefined ? r.total : null;
    W.put(clear(cards), 
      W.card("Records", fmt.n(r.finished) + (total !== null ? " / " + fmt.n(total) : ""), null),
      W.card("Done", fmt.n(r.done), fmt.pct(r.done, r.finished)),
      W.card("Failed", fmt.n(r.failed), fmt.pct(r.failed, r.finished)),
      W.card("Filtered", fmt.n(r.filtered), fmt.pct(r.filtered, r.finished)),
      W.card("Model calls", fmt.n(r.calls), fmt.n(r.retries) + " retries"),
      W.card("Cache hits", fmt.n(r.cache_hits), fmt.pct(r.cache_hits, r.cache_hits + r.calls) + " of calls"),
      W.card("Tokens", fmt.tokens(r.tokens_in + r.tokens_out), fmt.tokens(r.tokens_in) + " in · " + fmt.tokens(r.tokens_out) + " out"),
      W.card("Cost", fmt.cost(r.cost), r.simulated ? "estimated (simulated)" : null),
      W.card("Duration", fmt.duration(r.duration_ms), r.finished && r.duration_ms ? (r.finished / (r.duration_ms / 1000)).toFixed(1) + " rec/s" : null));
    cards.firstChild.appendChild(bar(r.done, r.failed, r.filtered, total));
  }

  async function act(button, url, body, done) {
    button.disabled = true;
    clear(actionMsg);
    try {
      const res = await post(url, body);
      if (done) done(res);
    } catch (e) {
      actionMsg.appendChild(W.errorBox(e));
    } finally {
      if (run) renderRun(run);
    }
  }
  resumeBtn.addEventListener("click", () => act(resumeBtn, api + "/resume", {}, () => {
    actionMsg.appendChild(el("span", {class: "muted"}, "resumed"));
    follow();
  }));
  cancelBtn.addEventListener("click", () => act(cancelBtn, api + "/cancel", {}, () => actionMsg.appendChild(el("span", {class: "muted"}, "cancelling…"))));
  exportBtn.addEventListener("click", async () => {
    clear(actionMsg);
    try {
      const res = await post(api + "/export", {format: exportSel.value}, true);
      const blob = await res.blob();
      const a = el("a", {href: URL.createObjectURL(blob), download: runId + "-" + exportSel.value + ".jsonl"});
      document.body.appendChild(a);
      a.click();
      a.remove();
    } catch (e) {
      actionMsg.appendChild(W.errorBox(e));
    }
  });

  // ---- graph and node table
  let graph = null;
  let figures = [];
  async function loadGraph() {
    try {
      const layout = await get(api + "/graph");
      graph = WeftGraph.draw(graphBox, layout, name => {
        nodeSel.value = name;
        loadRecords(-1, true);
        document.getElementById("records").scrollIntoView({behavior: "smooth"});
      });
      graph.update(figures);
      const known = new Set([...nodeSel.options].map(o => o.value));
      for (const n of layout.nodes) if (n.kind !== "terminal" && !known.has(n.id)) nodeSel.appendChild(el("option", {value: n.id}, n.id));
      const want = new URLSearchParams(location.search).get("node");
      if (want) nodeSel.value = want;
    } catch (e) {
      clear(graphBox).appendChild(W.errorBox(e));
    }
  }

  function renderNodes(list) {
    figures = list;
    if (graph) graph.update(list);
    clear(nodesBody);
    if (!list.length) nodesBody.appendChild(el("tr", {}, el("td", {colspan: 15, class: "empty"}, "No steps yet.")));
    for (const n of list) {
      nodesBody.appendChild(el("tr", {"data-node": n.node},
        el("td", {}, el("a", {href: "#records", onclick: () => { nodeSel.value = n.node; loadRecords(-1, true); }}, n.node)),
        el("td", {class: "muted"}, n.kind || ""),
        el("td", {class: "num"}, fmt.n(n.visits)),
        el("td", {class: "num"}, n.in_flight === undefined ? "–" : fmt.n(n.in_flight)),
        el("td", {class: "num"}, fmt.n(n.calls)),
        el("td", {class: "num"}, fmt.n(n.cache_hits)),
        el("td", {class: "num"}, fmt.n(n.retries)),
        el("td", {class: "num"}, fmt.n(n.errors)),
        el("td", {class: "num"}, fmt.n(n.failed)),
        el("td", {class: "num"}, fmt.n(n.filtered)),
        el("td", {class: "num"}, n.visits ? fmt.ms(n.mean_ms) : "–"),
        el("td", {class: "num"}, n.visits ? fmt.ms(n.p95_ms) : "–"),
        el("td", {class: "num"}, n.visits ? fmt.ms(n.max_ms) : "–"),
        el("td", {class: "num"}, fmt.tokens((n.tokens_in || 0) + (n.tokens_out || 0))),
        el("td", {class: "num"}, fmt.cost(n.cost || 0))));
    }
  }

  function renderReasons(reasons) {
    clear(reasonsBox);
    const block = (label, list, cls) => {
      if (!list.length) return null;
      return el("div", {}, el("div", {class: "muted"}, label),
        el("table", {}, el("tbody", {}, list.map(x => el("tr", {},
          el("td", {class: "num"}, badge(fmt.n(x.count) + " ×", cls)),
          el("td", {}, x.text, x.node ? el("span", {class: "muted"}, " · at " + x.node) : null),
          el("td", {}, x.example !== null && x.example !== undefined ? el("a", {href: "#", onclick: ev => { ev.preventDefault(); openById(x.example); }},
            "e.g. record " + x.example) : null))))));
    };
    const f = block("Failed", reasons.failed, "failed");
    const x = block("Filtered", reasons.filtered, "filtered");
    if (!f && !x) reasonsBox.appendChild(el("div", {class: "empty"}, "No record failed or was filtered."));
    W.put(reasonsBox, f || "", x || "");
  }

  async function openById(recordId) {
    const page = await get(api + "/records?" + new URLSearchParams({id: recordId}));
    if (page.records.length) location.href = "/runs/" + encodeURIComponent(runId) + "/records/" + page.records[0].key;
  }

  // ---- progress chart
  async function loadProgress() {
    try {
      const p = await get(api + "/progress");
      clear(progressBox);
      if (!p.buckets.length) { progressBox.appendChild(el("div", {class: "empty"}, "No record has finished yet.")); return; }
      const W_ = 560, H_ = 150, L = 46, B = 22;
      let d = 0, f = 0, x = 0;
      const pts = [{t: p.start, d: 0, f: 0, x: 0}];
      for (const b of p.buckets) { d += b.done; f += b.failed; x += b.filtered; pts.push({t: b.t, d, f, x}); }
      const tMax = Math.max(pts[pts.length - 1].t, p.start + 1);
      const yMax = Math.max(p.total || 0, d + f + x, 1);
      const sx = t => L + (W_ - L - 8) * (t - p.start) / (tMax - p.start);
      const sy = v => H_ - B - (H_ - B - 8) * v / yMax;
      const line = (key, color) => svg("polyline", {points: pts.map(q => sx(q.t) + "," + sy(key === "all" ? q.d + q.f + q.x : q[key])).join(" "),
        fill: "none", stroke: color, "stroke-width": 2});
      progressBox.appendChild(svg("svg", {class: "chart", viewBox: `0 0 ${W_} ${H_}`, width: W_, height: H_},
        svg("line", {x1: L, y1: H_ - B, x2: W_ - 8, y2: H_ - B, stroke: "#cfd4dc"}),
        svg("line", {x1: L, y1: 8, x2: L, y2: H_ - B, stroke: "#cfd4dc"}),
        svg("text", {x: L - 6, y: 14, "text-anchor": "end", "font-size": 11, fill: "#667085"}, fmt.n(yMax)),
        svg("text", {x: L - 6, y: H_ - B, "text-anchor": "end", "font-size": 11, fill: "#667085"}, "0"),
        svg("text", {x: W_ - 8, y: H_ - 6, "text-anchor": "end", "font-size": 11, fill: "#667085"}, fmt.duration(tMax - p.start)),
        line("all", "#98a2b3"), line("d", "#1f9d55"), line("f", "#d64545"), line("x", "#d88a1d")));
      progressBox.appendChild(el("div", {class: "muted"}, "Records settled since the start: ",
        el("span", {class: "badge done"}, "done"), " ", el("span", {class: "badge failed"}, "failed"), " ",
        el("span", {class: "badge filtered"}, "filtered"), " (grey: all)"));
    } catch (e) {
      clear(progressBox).appendChild(W.errorBox(e));
    }
  }

  // ---- judge score distributions
  async function loadScores() {
    try {
      const s = await get(api + "/scores");
      clear(scoresBox);
      if (!s.fields.length) { scoresBox.appendChild(el("div", {class: "empty"}, "No judge with a numeric, boolean or choice field.")); return; }
      for (const f of s.fields) {
        const max = Math.max(1, ...f.values.map(v => v.count));
        const bw = Math.max(14, Math.min(34, Math.floor(420 / Math.max(1, f.values.length))));
        const H_ = 110, top = 14, base = 86;
        const chart = svg("svg", {width: bw * f.values.length + 10, height: H_, class: "chart"});
        f.values.forEach((v, i) => {
          const h = (base - top) * v.count / max;
          W.put(chart, 
            svg("rect", {x: 5 + i * bw + 2, y: base - h, width: bw - 4, height: Math.max(h, v.count ? 1 : 0), fill: "#8ea2e8", rx: 2},
              svg("title", {}, v.value + ": " + v.count)),
            svg("text", {x: 5 + i * bw + bw / 2, y: base + 13, "text-anchor": "middle", "font-size": 10, fill: "#667085"},
              v.value.length > 6 ? v.value.slice(0, 5) + "…" : v.value),
            v.count ? svg("text", {x: 5 + i * bw + bw / 2, y: base - h - 3, "text-anchor": "middle", "font-size": 9.5, fill: "#344054"}, String(v.count)) : "");
        });
        scoresBox.appendChild(el("div", {class: "dist", "data-field": f.field},
          el("div", {class: "t"}, f.field),
          el("div", {class: "muted"}, "judge " + f.node + " · " + f.type + (f.mean !== undefined ? " · mean " + f.mean : "")
            + " · " + fmt.n(f.count + 0) + " scored" + (f.missing ? " · " + fmt.n(f.missing) + " without" : "")),
          chart));
      }
    } catch (e) {
      clear(scoresBox).appendChild(W.errorBox(e));
    }
  }

  // ---- quality report, on demand (it reads every done record)
  qualityBtn.addEventListener("click", async () => {
    qualityBtn.disabled = true;
    clear(qualityBox).appendChild(el("span", {class: "muted"}, "measuring…"));
    try {
      const q = await get(api + "/quality");
      clear(qualityBox);
      const texts = Object.entries(q.texts || {});
      if (!texts.length) { qualityBox.appendChild(el("div", {class: "empty"}, "No generated text in the done records.")); return; }
      const stat = s => s && s.p50 !== undefined ? fmt.n(s.p50) + " / " + fmt.n(s.p95) + " / " + fmt.n(s.max) : "–";
      qualityBox.appendChild(el("table", {id: "quality-table"},
        el("thead", {}, el("tr", {}, el("th", {}, "Field"), el("th", {class: "num"}, "Texts"),
          el("th", {class: "num"}, "Words p50 / p95 / max"), el("th", {class: "num"}, "Characters p50 / p95 / max"),
          el("th", {class: "num"}, "distinct-1"), el("th", {class: "num"}, "distinct-2"), el("th", {}, "Languages"))),
        el("tbody", {}, texts.map(([field, t]) => el("tr", {},
          el("td", {class: "mono"}, field), el("td", {class: "num"}, fmt.n(t.count)),
          el("td", {class: "num"}, stat(t.words)), el("td", {class: "num"}, stat(t.chars)),
          el("td", {class: "num"}, String(t.distinct_1)), el("td", {class: "num"}, String(t.distinct_2)),
          el("td", {class: "mono"}, Object.entries(t.languages || {}).map(([l, share]) => l + " " + Math.round(share * 100) + "%").join(", ") || "–"))))));
    } catch (e) {
      clear(qualityBox).appendChild(W.errorBox(e));
    } finally {
      qualityBtn.disabled = false;
    }
  });

  // ---- records
  const cursors = [];
  let cursor = -1;
  async function loadRecords(after, reset) {
    if (reset) { cursors.length = 0; after = -1; }
    cursor = after;
    const q = new URLSearchParams({after: String(after), limit: "50"});
    if (statusSel.value) q.set("status", statusSel.value);
    if (nodeSel.value) q.set("node", nodeSel.value);
    if (search.value.trim()) q.set("q", search.value.trim());
    try {
      const page = await get(api + "/records?" + q);
      clear(recBody);
      if (!page.records.length) recBody.appendChild(el("tr", {}, el("td", {colspan: 10, class: "empty"},
        page.complete ? "No records match." : "No match in the records searched so far.")));
      for (const r of page.records) {
        // A child of an explode (key 17/0/2) sits under its parent, indented by its depth.
        const link = "/runs/" + encodeURIComponent(runId) + "/records/" + r.key;
        recBody.appendChild(el("tr", {"data-seq": r.seq, "data-key": r.key, class: r.depth ? "child" : ""},
          el("td", {class: "num"}, el("a", {href: link}, r.depth ? r.path : String(r.seq))),
          el("td", {class: "mono", style: r.depth ? "padding-left: " + (r.depth * 1.2) + "em" : ""}, el("a", {href: link}, r.id)),
          el("td", {}, badge(r.status), r.children !== undefined ? el("span", {class: "muted"}, " → " + fmt.n(r.children) + " children") : null),
          el("td", {}, r.node || (r.status === "done" ? "END" : "")),
          el("td", {class: "num"}, fmt.n(r.steps)),
          el("td", {class: "num"}, fmt.n(r.calls) + " / " + fmt.n(r.cache_hits)),
          el("td", {class: "num"}, fmt.tokens(r.tokens)),
          el("td", {class: "num"}, fmt.cost(r.cost)),
          el("td", {class: "num"}, fmt.ms(r.millis)),
          el("td", {class: "err"}, r.error ? (r.error.length > 160 ? r.error.slice(0, 159) + "…" : r.error) : "")));
      }
      clear(recPager);
      if (cursors.length) recPager.appendChild(el("button", {onclick: () => loadRecords(cursors.pop(), false)}, "← Previous"));
      if (page.next !== undefined) recPager.appendChild(el("button", {id: "rec-next", onclick: () => { cursors.push(after); loadRecords(page.next, false); }},
        page.records.length < 50 ? "Search further →" : "Next →"));
      recPager.appendChild(el("span", {class: "muted"}, fmt.n(page.settled) + " records settled"
        + (!page.complete && page.next !== undefined ? " · searched up to #" + fmt.n(page.scanned_to) : "")));
    } catch (e) {
      clear(recBody).appendChild(el("tr", {}, el("td", {colspan: 10}, W.errorBox(e))));
    }
  }
  statusSel.addEventListener("change", () => loadRecords(-1, true));
  nodeSel.addEventListener("change", () => loadRecords(-1, true));
  search.addEventListener("keydown", e => { if (e.key === "Enter") loadRecords(-1, true); });

  // ---- live
  let lastFinished = -1;
  let lastSlow = 0;
  function apply(state) {
    renderRun(state.run);
    renderNodes(state.nodes);
    renderReasons(state.reasons);
    const now = Date.now();
    if (state.run.finished !== lastFinished && now - lastSlow > 2500) {
      lastSlow = now;
      lastFinished = state.run.finished;
      if (cursor === -1 && !search.value.trim()) loadRecords(-1, false);
      loadProgress();
      loadScores();
    }
  }
  let stream = null;
  function follow() {
    if (stream) stream.close();
    stream = W.live(api + "/events", {
      snapshot: apply,
      update: apply,
      end: () => { lastSlow = 0; lastFinished = -1; get(api).then(apply); },
      fail: e => clear(app).appendChild(W.errorBox({message: e.error})),
    });
  }
  loadGraph();
  loadRecords(-1, true);
  follow();
})();
