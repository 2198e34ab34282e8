// A record: its full trace in order (prompts, answers, verdicts, cache use, tokens, cost, latency,
// the edge taken after each node), its final fields and its lineage.
"use strict";
(() => {
  const {el, clear, fmt, badge, get} = W;
  W.header("runs");
  const parts = location.pathname.split("/");
  const runId = decodeURIComponent(parts[2]);
  // A source record is /runs/RUN/records/17; a child of an explode /runs/RUN/records/17/0/2.
  const key = parts.slice(4).filter(p => p !== "").map(decodeURIComponent).join("/");
  const runUrl = "/runs/" + encodeURIComponent(runId);
  const recordUrl = k => runUrl + "/records/" + k;
  const app = clear(document.getElementById("app"));
  document.title = "Record #" + key + " · " + runId + " · Weft";

  /** Where the record comes from (its parent, for a child of an explode) and what it became (its children). */
  function lineage(l, r) {
    const box = el("div", {class: "panel", id: "lineage"}, el("h2", {}, "Lineage"));
    if (l.parent) {
      box.appendChild(el("div", {id: "lineage-parent"}, "Child " + l.index + " of ",
        el("a", {href: recordUrl(l.parent.key)}, el("span", {class: "mono"}, l.parent.id !== undefined ? l.parent.id : "#" + l.parent.key)),
        l.parent.node ? el("span", {class: "muted"}, ", which fanned out at " + l.parent.node) : null));
    } else {
      box.appendChild(el("div", {class: "muted"}, "Source record #" + l.source_position + "."));
    }
    if (l.children_count !== undefined) {
      box.appendChild(el("div", {}, "Fanned out at " + (r.node || "?") + " into " + fmt.n(l.children_count) + " children"
        + (r.error ? " (" + r.error + ")" : "") + ":"));
      box.appendChild(el("table", {id: "lineage-children"}, el("tbody", {}, l.children.map(c => el("tr", {"data-key": c.key},
        el("td", {class: "mono"}, el("a", {href: recordUrl(c.key)}, c.id)),
        el("td", {}, badge(c.status), c.children !== undefined ? el("span", {class: "muted"}, " → " + fmt.n(c.children) + " children") : null),
        el("td", {class: "err"}, c.error || ""))))));
      if (l.children.length < l.children_count) {
        box.appendChild(el("div", {class: "muted"}, fmt.n(l.children_count - l.children.length) + " not settled yet or not listed."));
      }
    } else if (!l.parent) {
      box.appendChild(el("div", {class: "muted"}, "No parent, no children."));
    }
    return box;
  }

  function pretty(v) {
    if (typeof v === "string") return v;
    return JSON.stringify(v, null, 2);
  }

  function exchange(x, i, count) {
    const box = el("div", {class: "exchange"});
    const head = [x.cached ? badge("cache hit", "hit") : badge("model call", "call")];
    if (!x.missing) head.push(el("span", {class: "muted"}, " " + x.profile + " · " + x.provider + " · " + x.model
      + " · " + fmt.n(x.tokens_in) + " in / " + fmt.n(x.tokens_out) + " out"));
    if (count > 1) head.unshift(el("b", {}, i === 0 ? "First answer " : "Asked again (" + i + ") "));
    box.appendChild(el("div", {}, head));
    if (x.missing) {
      box.appendChild(el("div", {class: "muted"}, "The remembered call is no longer in the cache (key " + x.key.slice(0, 12) + "…)."));
      return box;
    }
    for (const m of x.messages || []) {
      box.appendChild(el("div", {class: "msg"}, el("div", {class: "role"}, m.role + " prompt"), el("pre", {class: "prompt"}, m.content)));
    }
    box.appendChild(el("div", {class: "msg"}, el("div", {class: "role"}, "response"), el("pre", {class: "response"}, x.response)));
    if (x.verdict) {
      box.appendChild(el("div", {class: "msg verdict"}, el("div", {class: "role"}, "judge verdict"),
        W.kv(Object.entries(x.verdict).map(([k, v]) => [k, el("span", {class: "mono"}, pretty(v))]))));
    }
    return box;
  }

  function step(s, i) {
    const head = el("div", {class: "head"},
      el("span", {class: "n"}, (i + 1) + ". " + s.node),
      el("span", {class: "muted"}, s.kind + (s.visit > 0 ? " · visit " + (s.visit + 1) : "")),
      s.source === "cache hit" ? badge("cache hit", "hit") : s.source === "model call" ? badge("model call", "call")
        : s.source === "mixed" ? badge("calls and hits") : badge("no model call"),
      el("span", {class: "muted"}, fmt.ms(s.duration_ms)),
      s.tokens_in + s.tokens_out > 0 ? el("span", {class: "muted"}, fmt.n(s.tokens_in) + " in / " + fmt.n(s.tokens_out) + " out tokens") : null,
      s.cost > 0 ? el("span", {class: "muted"}, fmt.cost(s.cost)) : null,
      s.retries > 0 ? badge(s.retries + (s.retries === 1 ? " retry" : " retries"), "filtered") : null,
      s.error ? badge("failed", "failed") : null);
    const body = el("div", {class: "body"});
    if (s.error) body.appendChild(el("div", {class: "error-box"}, s.error));
    s.exchanges.forEach((x, k) => body.appendChild(exchange(x, k, s.exchanges.length)));
    if (s.writes && Object.keys(s.writes).length) {
      body.appendChild(el("div", {class: "msg"}, el("div", {class: "role"}, "fields set (value at the end of the record)"),
        W.kv(Object.entries(s.writes).map(([k, v]) => [k, el("span", {class: "mono"}, pretty(v))]))));
    }
    const n = s.next || {};
    let taken;
    if (n.to) {
      const cond = n.when ? " because " + n.when + " held" : n.otherwise ? " (otherwise: no other edge was taken)" : "";
      taken = el("div", {class: "edge-taken"}, "→ ", el("b", {}, n.to), cond, n.max !== undefined ? " · edge taken at most " + n.max + "×" : "");
    } else if (n.dropped) {
      taken = el("div", {class: "edge-taken drop"}, "✕ dropped here: ", n.dropped);
    } else if (n.exploded !== undefined) {
      taken = el("div", {class: "edge-taken"}, "→ fanned out here into " + fmt.n(n.exploded) + " children (see Lineage)");
    } else if (n.failed) {
      taken = el("div", {class: "edge-taken bad"}, "✕ the record failed here");
    } else if (n.pending) {
      taken = el("div", {class: "edge-taken muted"}, "… in flight");
    }
    if (taken) body.appendChild(taken);
    return el("div", {class: "step" + (s.error ? " error" : ""), "data-node": s.node}, head, body);
  }

  async function load() {
    let d;
    try {
      d = await get("/api/runs/" + encodeURIComponent(runId) + "/records/" + key);
    } catch (e) {
      W.put(clear(app), el("div", {class: "crumbs"}, el("a", {href: "/"}, "Runs"), " / ", el("a", {href: runUrl}, runId)), W.errorBox(e));
      return;
    }
    const r = d.record;
    clear(app);
    W.put(app, 
      el("div", {class: "crumbs"}, el("a", {href: "/"}, "Runs"), " / ", el("a", {href: runUrl}, runId), " / record #" + key),
      el("h1", {}, "Record ", el("span", {class: "mono", id: "record-id"}, r.id !== undefined ? r.id : "#" + key), badge(r.status),
        d.run.simulated ? badge("simulated", "sim") : null),
      el("div", {class: "toolbar"},
        d.previous !== undefined ? el("a", {href: recordUrl(d.previous)}, "← previous record") : null,
        d.lineage.parent ? el("a", {href: recordUrl(d.lineage.parent.key), id: "parent-link"}, "↑ parent record") : null,
        d.next !== undefined ? el("a", {href: recordUrl(d.next)}, "next record →") : null),
      r.error && r.status !== "exploded" ? el("div", {class: r.status === "failed" ? "error-box" : "notice", id: "record-error"},
        (r.status === "filtered" ? "Filtered at " : "Failed at ") + (r.node || "?") + ": " + r.error) : null,
      el("div", {class: "cards"},
        W.card("Steps", fmt.n(d.totals.steps)),
        W.card("Tokens", fmt.tokens(d.totals.tokens)),
        W.card("Cost", fmt.cost(d.totals.cost)),
        W.card("Time in nodes", fmt.ms(d.totals.millis)),
        W.card("Lineage", "#" + d.lineage.source_position, d.lineage.parent ? "child of " + (d.lineage.parent.id || d.lineage.parent.key)
          : d.lineage.children_count !== undefined ? fmt.n(d.lineage.children_count) + " children" : "a source record; no parent, no children")),
      lineage(d.lineage, r),
      el("div", {class: "panel"}, el("h2", {}, "Trace"),
        d.steps.length ? el("div", {id: "trace"}, d.steps.map(step)) : el("div", {class: "empty"}, "No step has finished yet.")),
      r.state !== undefined ? el("div", {class: "panel"}, el("h2", {}, "Fields at the end"), el("pre", {id: "state"}, pretty(r.state))) : null);
    if (r.status === "in flight") setTimeout(load, 2000);
  }
  load();
})();
