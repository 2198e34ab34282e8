// The runs page: every run, filtered by workflow and status, updated live.
"use strict";
(() => {
  const {el, clear, fmt, badge, bar} = W;
  W.header("runs");
  document.title = "Runs · Weft";
  const app = clear(document.getElementById("app"));
  const params = new URLSearchParams(location.search);
  const state = {workflow: params.get("workflow") || "", status: params.get("status") || "", offset: Number(params.get("offset") || 0)};
  const LIMIT = 50;

  const workflowSel = el("select", {id: "filter-workflow"}, el("option", {value: ""}, "all workflows"));
  const statusSel = el("select", {id: "filter-status"},
    ["", "running", "completed", "failed", "interrupted", "stopped"].map(s => el("option", {value: s}, s || "any status")));
  statusSel.value = state.status;
  const count = el("span", {class: "muted", id: "runs-count"});
  const body = el("tbody", {id: "runs-body"});
  const pager = el("div", {class: "pager"});

  W.put(app, 
    el("h1", {}, "Runs"),
    el("div", {class: "panel"},
      el("div", {class: "toolbar"},
        el("label", {}, "Workflow", workflowSel),
        el("label", {}, "Status", statusSel),
        count),
      el("div", {class: "table-wrap"},
        el("table", {id: "runs"},
          el("thead", {}, el("tr", {},
            el("th", {}, "Run"), el("th", {}, "Workflow"), el("th", {}, "Status"), el("th", {}, "Progress"),
            el("th", {class: "num"}, "Done"), el("th", {class: "num"}, "Failed"), el("th", {class: "num"}, "Filtered"),
            el("th", {class: "num"}, "Cache hits"), el("th", {class: "num"}, "Tokens"), el("th", {class: "num"}, "Cost"),
            el("th", {}, "Started"), el("th", {class: "num"}, "Duration"))),
          body)),
      pager));

  function row(r) {
    const progress = r.total !== undefined ? fmt.n(r.finished) + " / " + fmt.n(r.total) : fmt.n(r.finished);
    return el("tr", {"data-run": r.id, "data-status": r.status},
      el("td", {}, el("a", {href: "/runs/" + encodeURIComponent(r.id), class: "mono"}, r.id), r.simulated ? [" ", badge("simulated", "sim")] : null),
      el("td", {}, el("a", {href: "/workflow?path=" + encodeURIComponent(r.workflow_path), title: r.workflow_display}, r.workflow)),
      el("td", {class: "status"}, badge(r.status), r.message && r.status !== "completed" ? el("div", {class: "muted", title: r.message}, short(r.message)) : null),
      el("td", {class: "progress"}, bar(r.done, r.failed, r.filtered, r.total), el("div", {class: "muted finished"}, progress)),
      el("td", {class: "num done"}, fmt.n(r.done)),
      el("td", {class: "num failed"}, fmt.n(r.failed)),
      el("td", {class: "num filtered"}, fmt.n(r.filtered)),
      el("td", {class: "num"}, fmt.n(r.cache_hits), el("div", {class: "muted"}, fmt.pct(r.cache_hits, r.cache_hits + r.calls))),
      el("td", {class: "num"}, fmt.tokens(r.tokens_in + r.tokens_out)),
      el("td", {class: "num"}, fmt.cost(r.cost)),
      el("td", {}, fmt.time(r.created_at)),
      el("td", {class: "num"}, fmt.duration(r.duration_ms)));
  }

  function short(s) {
    return s.length > 70 ? s.slice(0, 69) + "…" : s;
  }

  function render(data) {
    const known = new Set([...workflowSel.options].map(o => o.value));
    for (const w of data.workflows) if (!known.has(w)) workflowSel.appendChild(el("option", {value: w}, w));
    workflowSel.value = state.workflow;
    clear(body);
    if (!data.runs.length) body.appendChild(el("tr", {}, el("td", {colspan: 12, class: "empty"},
      state.workflow || state.status ? "No runs match." : "No runs yet. Start one from a workflow, or with `weft run`.")));
    for (const r of data.runs) body.appendChild(row(r));
    count.textContent = fmt.n(data.total) + (data.total === 1 ? " run" : " runs");
    clear(pager);
    if (state.offset > 0) pager.appendChild(el("button", {onclick: () => go(Math.max(0, state.offset - LIMIT))}, "← Newer"));
    if (state.offset + LIMIT < data.total) pager.appendChild(el("button", {onclick: () => go(state.offset + LIMIT)}, "Older →"));
    if (data.total > LIMIT) pager.appendChild(el("span", {class: "muted"},
      `${state.offset + 1}–${Math.min(state.offset + LIMIT, data.total)} of ${data.total}`));
  }

  let stream = null;
  function follow() {
    if (stream) stream.close();
    const q = new URLSearchParams();
    if (state.workflow) q.set("workflow", state.workflow);
    if (state.status) q.set("status", state.status);
    if (state.offset) q.set("offset", state.offset);
    history.replaceState(null, "", "/" + (q.toString() ? "?" + q : ""));
    q.set("limit", LIMIT);
    stream = W.live("/api/events/runs?" + q, {snapshot: render, update: render});
  }

  function go(offset) {
    state.offset = offset;
    follow();
  }

  workflowSel.addEventListener("change", () => { state.workflow = workflowSel.value; go(0); });
  statusSel.addEventListener("change", () => { state.status = statusSel.value; go(0); });
  if (state.workflow) workflowSel.appendChild(el("option", {value: state.workflow}, state.workflow));
  follow();
})();
