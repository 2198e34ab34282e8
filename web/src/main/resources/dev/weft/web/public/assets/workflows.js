// The workflows Weft knows: files in the served folders and those of past runs.
"use strict";
(async () => {
  const {el, clear, fmt, get} = W;
  W.header("workflows");
  document.title = "Workflows · Weft";
  const app = clear(document.getElementById("app"));
  app.appendChild(el("h1", {}, "Workflows"));
  let d;
  try {
    d = await get("/api/workflows");
  } catch (e) {
    app.appendChild(W.errorBox(e));
    return;
  }
  app.appendChild(el("div", {class: "muted"}, "Served folders (runs started here read and write only inside them): ",
    d.folders.map((f, i) => [i ? ", " : "", el("span", {class: "mono"}, f)])));
  const body = el("tbody", {id: "workflows-body"});
  app.appendChild(el("div", {class: "panel"}, el("div", {class: "table-wrap"}, el("table", {id: "workflows"},
    el("thead", {}, el("tr", {}, el("th", {}, "Name"), el("th", {}, "File"), el("th", {class: "num"}, "Runs"), el("th", {}, "Last run"), el("th", {}, ""))),
    body))));
  if (!d.workflows.length) body.appendChild(el("tr", {}, el("td", {colspan: 5, class: "empty"}, "No workflow files in the served folders, and no runs yet.")));
  for (const w of d.workflows) {
    const link = "/workflow?path=" + encodeURIComponent(w.path);
    body.appendChild(el("tr", {"data-path": w.path},
      el("td", {}, el("a", {href: link}, w.name || "(unnamed)")),
      el("td", {class: "mono"}, w.display),
      el("td", {class: "num"}, fmt.n(w.runs)),
      el("td", {}, w.last_run ? [el("a", {href: "/runs/" + encodeURIComponent(w.last_run), class: "mono"}, w.last_run), " ",
        el("span", {class: "muted"}, fmt.time(w.last_run_at))] : el("span", {class: "muted"}, "never run")),
      el("td", {}, w.in_folder ? el("a", {href: link + "#start"}, "start a run") : el("span", {class: "muted"}, "outside the served folders"))));
  }
})();
