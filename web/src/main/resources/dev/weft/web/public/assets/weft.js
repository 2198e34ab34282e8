// Weft dashboard: shared helpers. Everything a model (or a user) wrote is put on the page as text
// (textContent, createTextNode): never as HTML.
"use strict";

const W = (() => {
  const SVG = "http://www.w3.org/2000/svg";

  function append(node, children) {
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function attrs(node, a) {
    for (const [k, v] of Object.entries(a || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
      else if (k === "text") node.textContent = String(v);
      else if (k === "dataset") Object.assign(node.dataset, v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    return node;
  }

  /** An HTML element: el("a", {href: "/x", class: "y"}, "text", child...). Strings become text nodes. */
  function el(tag, a, ...children) {
    return append(attrs(document.createElement(tag), a), children);
  }

  /** An SVG element, the same way. */
  function svg(tag, a, ...children) {
    return append(attrs(document.createElementNS(SVG, tag), a), children);
  }

  /** Appends children (text, nodes, arrays; null and false are skipped) to a node. */
  function put(node, ...children) {
    return append(node, children);
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  // ---- the token for actions (given as ?token= once, then kept for this tab)

  (function takeTokenFromUrl() {
    const u = new URL(location.href);
    const t = u.searchParams.get("token");
    if (t) {
      sessionStorage.setItem("weft-token", t);
      u.searchParams.delete("token");
      history.replaceState(null, "", u.pathname + (u.search ? u.search : "") + u.hash);
    }
  })();

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.error) || ("HTTP " + status));
      this.status = status;
      this.body = body || {};
    }
  }

  async function answer(res) {
    const type = res.headers.get("content-type") || "";
    const body = type.includes("json") ? await res.json() : null;
    if (!res.ok) throw new ApiError(res.status, body);
    return body;
  }

  async function get(url) {
    return answer(await fetch(url, {headers: {"Accept": "application/json"}}));
  }

  /** POSTs JSON; asks once for the dashboard's token when the server says an action needs it. */
  async function post(url, body, raw) {
    for (let attempt = 0; attempt < 2; attempt++) {
      const headers = {"Content-Type": "application/json"};
      const t = sessionStorage.getItem("weft-token");
      if (t) headers["X-Weft-Token"] = t;
      const res = await fetch(url, {method: "POST", headers, body: JSON.stringify(body || {})});
      if (res.status === 401 && attempt === 0) {
        const given = prompt("This dashboard needs its token for actions (`weft serve` printed it when it started):");
        if (!given) throw new ApiError(401, {error: "no token given"});
        sessionStorage.setItem("weft-token", given.trim());
        continue;
      }
      if (raw && res.ok) return res;
      return answer(res);
    }
  }

  // ---- formatting

  const fmt = {
    n(x) { return x === null || x === undefined ? "–" : Number(x).toLocaleString("en-US"); },
    cost(x) { return x === null || x === undefined ? "–" : "$" + Number(x).toFixed(x >= 100 ? 2 : 4); },
    ms(x) {
      if (x === null || x === undefined) return "–";
      if (x < 1000) return Math.round(x) + " ms";
      return (x / 1000).toFixed(x < 10000 ? 2 : 1) + " s";
    },
    duration(ms) {
      if (ms === null || ms === undefined) return "–";
      const s = Math.round(ms / 1000);
      if (s < 60) return (ms / 1000).toFixed(1) + " s";
      if (s < 3600) return Math.floor(s / 60) + "m " + String(s % 60).padStart(2, "0") + "s";
      return Math.floor(s / 3600) + "h " + String(Math.floor(s % 3600 / 60)).padStart(2, "0") + "m";
    },
    time(ms) { return ms ? new Date(ms).toLocaleString() : "–"; },
    pct(a, b) { return b ? Math.round(100 * a / b) + "%" : "–"; },
    tokens(x) {
      if (x === null || x === undefined) return "–";
      if (x >= 1e6) return (x / 1e6).toFixed(2) + "M";
      if (x >= 1e4) return (x / 1e3).toFixed(1) + "k";
      return String(x);
    },
  };

  function badge(status, extra) {
    return el("span", {class: "badge " + String(status).replace(/\s+/g, "-") + (extra ? " " + extra : "")}, status);
  }

  /** A stacked bar: done, failed, filtered out of total (or of finished when the total is unknown). */
  function bar(done, failed, filtered, total) {
    const all = Math.max(total || 0, done + failed + filtered, 1);
    const part = (cls, n) => {
      const s = el("span", {class: cls, title: cls === "d" ? n + " done" : cls === "f" ? n + " failed" : n + " filtered"});
      s.style.width = (100 * n / all) + "%";
      return s;
    };
    return el("div", {class: "bar"}, part("d", done), part("f", failed), part("x", filtered));
  }

  function header(active) {
    const live = el("span", {class: "live", id: "live"});
    const h = el("header", {class: "top"},
      el("a", {class: "brand", href: "/"}, "Weft"),
      el("nav", {},
        el("a", {href: "/", class: active === "runs" ? "active" : null}, "Runs"),
        el("a", {href: "/workflows", class: active === "workflows" ? "active" : null}, "Workflows")),
      live);
    document.body.insertBefore(h, document.body.firstChild);
    return live;
  }

  function setLive(text, on) {
    const l = document.getElementById("live");
    if (!l) return;
    l.textContent = text;
    l.classList.toggle("on", !!on);
  }

  /**
   * Follows server-sent events: handlers for snapshot, update and end. Closes on `end` (so the
   * browser does not reconnect to a finished run); reconnects otherwise.
   */
  function live(url, on) {
    let es = null;
    let closed = false;
    function open() {
      es = new EventSource(url);
      es.addEventListener("snapshot", e => { setLive("live", true); on.snapshot && on.snapshot(JSON.parse(e.data)); });
      es.addEventListener("update", e => { setLive("live", true); on.update && on.update(JSON.parse(e.data)); });
      es.addEventListener("end", e => {
        closed = true;
        es.close();
        setLive("finished", false);
        on.end && on.end(JSON.parse(e.data));
      });
      es.addEventListener("error", e => {
        if (closed) return;
        if (e.data) { closed = true; es.close(); setLive("", false); on.fail && on.fail(JSON.parse(e.data)); return; }
        setLive("reconnecting…", false);
      });
    }
    open();
    return { close() { closed = true; if (es) es.close(); } };
  }

  function errorBox(err) {
    const box = el("div", {class: "error-box"}, err.message || String(err));
    const problems = err.body && err.body.problems;
    if (problems && problems.length) {
      box.appendChild(el("ul", {}, problems.map(p => el("li", {class: "mono"}, p.text || p.message))));
    }
    return box;
  }

  function kv(pairs) {
    return el("div", {class: "kv"}, pairs.filter(p => p).map(([k, v]) => [el("div", {class: "k"}, k), el("div", {}, v)]));
  }

  function card(k, v, s) {
    return el("div", {class: "card"}, el("div", {class: "k"}, k), el("div", {class: "v"}, v), s ? el("div", {class: "s"}, s) : null);
  }

  return {el, svg, put, clear, get, post, fmt, badge, bar, header, live, setLive, errorBox, kv, card, ApiError};
})();
