// A workflow: its YAML with validation problems at their lines, its graph, its runs, and a form to start a run.
"use strict";
(async () => {
  const {el, clear, fmt, badge, get, post} = W;
  W.header("workflows");
  const app = clear(document.getElementById("app"));
  const path = new URLSearchParams(location.search).get("path") || "";
  let d;
  try {
    d = await get("/api/workflow?" + new URLSearchParams({path}));
  } catch (e) {
    W.put(app, el("div", {class: "crumbs"}, el("a", {href: "/workflows"}, "Workflows")), W.errorBox(e));
    return;
  }
  document.title = d.display + " · Weft";
  const here = d.problems.filter(p => p.file === d.path && p.line > 0);
  const elsewhere = d.problems.filter(p => !(p.file === d.path && p.line > 0));

  W.put(app, 
    el("div", {class: "crumbs"}, el("a", {href: "/workflows"}, "Workflows"), " / ", d.display),
    el("h1", {}, el("span", {class: "mono"}, d.display),
      d.problems.length ? badge(d.problems.length + (d.problems.length === 1 ? " problem" : " problems"), "failed") : badge("valid", "done")),
    d.shown_from_run ? el("div", {class: "notice"}, "This file is outside the served folders: it is shown as run ",
      el("a", {href: "/runs/" + encodeURIComponent(d.shown_from_run)}, d.shown_from_run), " saw it, and cannot be started here.") : null);

  if (d.problems.length) {
    app.appendChild(el("div", {class: "panel", id: "problems"}, el("h2", {}, "Problems"),
      el("ul", {}, d.problems.map(p => el("li", {class: "mono"},
        p.file === d.path && p.line > 0 ? el("a", {href: "#L" + p.line}, p.line + ":" + p.column) : (p.line > 0 ? p.file + ":" + p.line + ":" + p.column : p.file),
        ": " + p.message)))));
  }

  // YAML with line numbers, each problem under its line
  const yaml = el("div", {class: "yaml", id: "yaml"});
  const byLine = {};
  for (const p of here) (byLine[p.line] = byLine[p.line] || []).push(p);
  d.text.split("\n").forEach((line, i) => {
    const n = i + 1;
    const bad = byLine[n];
    yaml.appendChild(el("div", {class: "ln" + (bad ? " bad" : ""), id: "L" + n}, el("span", {class: "no"}, String(n)), el("span", {class: "tx"}, line || " ")));
    if (bad) for (const p of bad) yaml.appendChild(el("div", {class: "problem"}, "▲ col " + p.column + ": " + p.message));
  });

  const graphBox = el("div", {class: "graph-wrap", id: "graph"});
  app.appendChild(el("div", {class: "row"},
    el("div", {class: "panel"}, el("h2", {}, "YAML"), yaml),
    el("div", {class: "panel"}, el("h2", {}, "Graph"), graphBox)));
  WeftGraph.draw(graphBox, d.graph, null, {counts: false});

  // start form
  if (d.can_start) {
    const source = el("input", {type: "text", id: "start-source", size: 40,
      placeholder: d.source ? (d.source.path ? d.source.path : "generate: " + d.source.generate) : "as in the workflow"});
    const limit = el("input", {type: "number", id: "start-limit", min: 0, placeholder: "all"});
    const simulate = el("input", {type: "checkbox", id: "start-simulate", checked: true});
    const concurrency = el("input", {type: "number", id: "start-concurrency", min: 1, placeholder: "64"});
    const cache = el("select", {id: "start-cache"},
      el("option", {value: "use"}, "use remembered answers"),
      el("option", {value: "refresh"}, "call again (--no-cache)"),
      el("option", {value: "only"}, "replay only (--cache-only)"));
    const sets = el("textarea", {id: "start-set", placeholder: "one per line, e.g. nodes.answer.prompt=Answer briefly: {{ question }}"});
    const models = el("textarea", {id: "start-model", placeholder: "one per line, e.g. writer.base_url=http://127.0.0.1:8000/v1"});
    const msg = el("div", {id: "start-message"});
    const button = el("button", {class: "primary", id: "start-run"}, "Start run");
    button.addEventListener("click", async () => {
      button.disabled = true;
      clear(msg).appendChild(el("span", {class: "muted"}, "starting…"));
      try {
        const res = await post("/api/runs", {
          workflow: d.path, source: source.value, limit: limit.value, simulate: simulate.checked,
          concurrency: concurrency.value, cache: cache.value, set: sets.value, model: models.value});
        location.href = "/runs/" + encodeURIComponent(res.id);
      } catch (e) {
        clear(msg).appendChild(W.errorBox(e));
        button.disabled = false;
      }
    });
    app.appendChild(el("div", {class: "panel", id: "start"}, el("h2", {}, "Start a run"),
      el("div", {class: "form"},
        el("label", {for: "start-source"}, "Source file"), source,
        el("label", {for: "start-limit"}, "Only the first N records"), limit,
        el("label", {for: "start-simulate"}, "Simulate"), el("label", {}, simulate, " answer every model with the offline simulator (no network, no cost)"),
        el("label", {for: "start-concurrency"}, "Records in flight"), concurrency,
        el("label", {for: "start-cache"}, "Cache"), cache,
        el("label", {for: "start-set"}, "Overrides (--set)"), sets,
        el("label", {for: "start-model"}, "Model overrides (--model)"), models,
        el("div", {class: "wide"}, button, msg)),
      el("div", {class: "muted"}, "Paths are relative to the workflow file and must stay inside the served folders.")));
  }

  // runs of this workflow
  const body = el("tbody", {});
  for (const r of d.runs) {
    body.appendChild(el("tr", {},
      el("td", {}, el("a", {href: "/runs/" + encodeURIComponent(r.id), class: "mono"}, r.id)),
      el("td", {}, badge(r.status)),
      el("td", {class: "num"}, fmt.n(r.done) + " / " + fmt.n(r.failed) + " / " + fmt.n(r.filtered)),
      el("td", {class: "num"}, fmt.cost(r.cost)),
      el("td", {}, fmt.time(r.created_at))));
  }
  app.appendChild(el("div", {class: "panel"}, el("h2", {}, "Runs of this workflow"),
    d.runs.length ? el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Run"), el("th", {}, "Status"),
      el("th", {class: "num"}, "Done / failed / filtered"), el("th", {class: "num"}, "Cost"), el("th", {}, "Started"))), body)
      : el("div", {class: "empty"}, "No runs yet.")));
  if (location.hash === "#start" && document.getElementById("start")) document.getElementById("start").scrollIntoView();
})();
