// floe ui: a hash-routed page over the JSON API. No build step; cytoscape is a global.
const view = document.getElementById("view");

// A token given once as ?token=... is kept for this tab and sent on every API call.
const params = new URLSearchParams(location.search);
if (params.get("token")) sessionStorage.setItem("floe-token", params.get("token"));
const token = sessionStorage.getItem("floe-token");

async function api(path) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const response = await fetch(path, { headers });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined) continue;
    if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) element.append(child);
  }
  return element;
}

const status = (value) => h("span", { class: `status status-${value || "none"}` }, value || "–");
const when = (iso) => (iso ? new Date(iso).toLocaleString() : "–");
const seconds = (value) => (value === null || value === undefined ? "–" : `${value.toFixed(2)}s`);
const spanOf = (node) =>
  node.started_at && node.completed_at
    ? (new Date(node.completed_at) - new Date(node.started_at)) / 1000
    : null;

// replaceChildren would print a skipped (null) part as the text "null".
const show = (...parts) => view.replaceChildren(...parts.flat().filter((part) => part != null));

let cleanup = () => {};

async function route() {
  cleanup();
  cleanup = () => {};
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const search = new URLSearchParams(query || "");
  try {
    if (parts[0] === "runs" && parts[1]) await showRun(parts[1], search.get("node"));
    else if (parts[0] === "models" && parts[1]) await showModel(parts[1], search);
    else if (parts[0] === "models") await showModels(search.get("q") || "");
    else if (parts[0] === "lineage") await showLineage(search);
    else await showRuns();
  } catch (error) {
    show(h("p", { class: "error-box", id: "error" }, String(error.message)));
  }
}

// -- runs ------------------------------------------------------------------------------
async function showRuns() {
  const data = await api("/api/runs");
  document.getElementById("project").textContent = `${data.project} · ${data.store}`;
  const rows = data.runs.map((run) =>
    h("tr", { class: "clickable run", "data-id": run.invocation_id,
              onclick: () => (location.hash = `#/runs/${run.invocation_id}`) },
      h("td", {}, h("a", { href: `#/runs/${run.invocation_id}` }, run.invocation_id.slice(0, 8))),
      h("td", {}, when(run.started_at)), h("td", {}, run.command), h("td", {}, run.runtime),
      h("td", {}, status(run.status)), h("td", {}, seconds(run.elapsed_seconds)),
      h("td", {}, `${run.nodes}`), h("td", {}, `${run.failures}`)));
  show(
    h("h2", {}, "Runs"),
    rows.length
      ? h("table", { id: "runs" },
          h("thead", {}, h("tr", {}, ["run", "started", "command", "runtime", "status",
                                      "duration", "nodes", "failures"].map((c) => h("th", {}, c)))),
          h("tbody", {}, rows))
      : h("p", { class: "muted" }, `No runs of ${data.project} yet.`));
  if (data.runs.some((run) => run.status === "running")) {
    const timer = setTimeout(route, 3000);
    cleanup = () => clearTimeout(timer);
  }
}

async function showRun(id, selected) {
  let detail = await api(`/api/runs/${encodeURIComponent(id)}`);
  const render = () => {
    const run = detail.run;
    show(
      h("h2", { id: "run-header" }, `${run.command} on ${run.runtime} `, status(run.status)),
      h("p", { class: "muted" }, `${run.invocation_id} · started ${when(run.started_at)} · `,
        `${seconds(run.elapsed_seconds)} · ${run.nodes} nodes, ${run.failures} failed, `,
        `${run.skipped} skipped`),
      detail.error ? h("p", { class: "error-box" }, detail.error) : null,
      h("div", { class: "split" },
        h("section", {}, h("p", { class: "legend muted" },
            h("span", {}, "■ outlined: critical path"), h("span", {}, "▨ hatched: skipped")),
          gantt(detail, selected)),
        h("section", { id: "node-detail" }, nodeDetail(detail, selected))));
  };
  render();
  if (detail.run.status === "running") {
    // Live: every event from the run's log refreshes the page's data (coalesced).
    const suffix = token ? `?token=${encodeURIComponent(token)}` : "";
    const source = new EventSource(`/api/runs/${encodeURIComponent(id)}/events${suffix}`);
    let pending = null;
    const refresh = () => {
      pending = pending || setTimeout(async () => {
        pending = null;
        detail = await api(`/api/runs/${encodeURIComponent(id)}`);
        render();
      }, 250);
    };
    source.onmessage = refresh;
    source.addEventListener("end", () => { source.close(); refresh(); });
    cleanup = () => source.close();
  }
}

function gantt(detail, selected) {
  // The axis spans the nodes; the time before the first one (dbt's parse) is said in words.
  const timed = detail.nodes.filter((node) => node.started_at);
  const runStart = new Date(detail.run.started_at);
  const start = timed.length ? Math.min(...timed.map((node) => new Date(node.started_at))) : runStart;
  const end = Math.max(start + 1, ...timed.map((node) => new Date(node.completed_at || Date.now())));
  const total = Math.max(end - start, 1);
  const rows = detail.nodes.map((node) => {
    const classes = ["bar", `status-${node.status}`, node.critical ? "critical" : ""];
    let bar = null;
    if (node.started_at) {
      const from = new Date(node.started_at) - start;
      const to = new Date(node.completed_at || Date.now()) - start;
      bar = h("div", { class: classes.join(" "), "data-id": node.unique_id,
                       title: `${node.name}: ${node.status}`,
                       style: `left:${(100 * from) / total}%;width:${(100 * (to - from)) / total}%` });
    }
    const rowClass = ["gantt-row", node.status === "skipped" ? "skipped" : "",
                      node.unique_id === selected ? "selected" : ""].join(" ");
    return h("div", { class: rowClass, "data-id": node.unique_id,
                      onclick: () => (location.hash =
                        `#/runs/${detail.run.invocation_id}?node=${encodeURIComponent(node.unique_id)}`) },
      h("span", { class: "gantt-label", title: node.unique_id }, status(node.status), " ", node.name),
      h("div", { class: "gantt-track" }, bar));
  });
  const setup = h("p", { class: "muted", id: "setup-time" },
    `first node started ${((start - runStart) / 1000).toFixed(2)}s after the run (parse, setup)`);
  return [setup, h("div", { id: "gantt" }, rows)];
}

function nodeDetail(detail, selected) {
  const node = detail.nodes.find((candidate) => candidate.unique_id === selected);
  if (!node) return h("p", { class: "muted" }, "Click a node for its details.");
  const result = node.result || {};
  const adapter = result.adapter_response || {};
  return h("div", {},
    h("h3", {}, node.name, " ", status(node.status)),
    h("dl", {},
      h("dt", {}, "unique id"), h("dd", {}, node.unique_id),
      h("dt", {}, "type"), h("dd", {}, `${node.resource_type} ${result.materialization || ""}`),
      h("dt", {}, "started"), h("dd", {}, when(node.started_at)),
      h("dt", {}, "duration"), h("dd", { id: "node-duration" }, seconds(spanOf(node))),
      h("dt", {}, "rows"), h("dd", { id: "node-rows" }, `${adapter.rows_affected ?? "–"}`),
      h("dt", {}, "message"), h("dd", { id: "node-message" }, result.message || "–"),
      h("dt", {}, "critical path"), h("dd", {}, node.critical ? "yes" : "no"),
      h("dt", {}, "waited for"), h("dd", {}, node.depends_on.join(", ") || "–")),
    h("p", {}, h("a", { href: `#/models/${encodeURIComponent(node.unique_id)}` }, "model and lineage")),
    result.compiled_code ? h("pre", { id: "compiled-sql" }, result.compiled_code) : null);
}

// -- models and lineage ----------------------------------------------------------------
async function showModels(q) {
  const data = await api(`/api/models?q=${encodeURIComponent(q)}`);
  const input = h("input", { type: "search", id: "model-search", placeholder: "search models",
                             value: q });
  input.addEventListener("change", () => (location.hash = `#/models?q=${encodeURIComponent(input.value)}`));
  const rows = data.models.map((model) =>
    h("tr", { class: "clickable model", "data-id": model.unique_id,
              onclick: () => (location.hash = `#/models/${encodeURIComponent(model.unique_id)}`) },
      h("td", {}, model.name), h("td", {}, model.resource_type),
      h("td", {}, model.materialization || ""), h("td", {}, status(model.last_status)),
      h("td", { class: "muted" }, model.description)));
  show(h("h2", {}, "Models"), input,
    h("table", { id: "models" },
      h("thead", {}, h("tr", {}, ["name", "type", "materialized", "last status", "description"]
        .map((c) => h("th", {}, c)))),
      h("tbody", {}, rows)));
}

async function showModel(id, search) {
  const depth = search.get("depth") || "2";
  const data = await api(`/api/models/${encodeURIComponent(id)}`);
  const model = data.model;
  show(
    h("h2", { id: "model-header" }, model.name, " ", status(model.last_status)),
    h("p", {}, model.description || h("span", { class: "muted" }, "no description")),
    h("div", { class: "split" },
      h("section", {}, depthControl(`#/models/${encodeURIComponent(id)}`, depth),
        h("div", { id: "graph" })),
      h("section", {},
        h("h3", {}, "Columns"),
        h("table", { id: "columns" }, data.columns.map((c) =>
          h("tr", {}, h("td", {}, c.name), h("td", {}, c.data_type || ""),
            h("td", { class: "muted" }, c.description)))),
        h("h3", {}, "Tests"),
        h("table", { id: "tests" }, data.tests.map((t) =>
          h("tr", {}, h("td", {}, t.name), h("td", {}, status(t.status))))),
        data.compiled_code ? [h("h3", {}, "Compiled SQL (last run)"), h("pre", {}, data.compiled_code)]
          : data.raw_code ? [h("h3", {}, "SQL"), h("pre", {}, data.raw_code)] : null)));
  await drawGraph(`/api/lineage?node=${encodeURIComponent(id)}&depth=${depth}`);
}

async function showLineage(search) {
  const node = search.get("node");
  const depth = search.get("depth") || "2";
  show(h("h2", {}, node ? `Lineage of ${node}` : "Lineage"),
    node ? depthControl(`#/lineage?node=${encodeURIComponent(node)}`, depth) : null,
    h("div", { id: "graph" }));
  const query = node ? `?node=${encodeURIComponent(node)}&depth=${depth}` : "";
  await drawGraph(`/api/lineage${query}`);
}

function depthControl(base, depth) {
  const joiner = base.includes("?") ? "&" : "?";
  const input = h("input", { type: "number", id: "depth", min: "0", max: "50", value: depth });
  input.addEventListener("change", () => (location.hash = `${base}${joiner}depth=${input.value}`));
  return h("p", {}, h("label", {}, "depth ", input));
}

const COLORS = { success: "#2e7d32", error: "#c62828", fail: "#c62828", warn: "#ef6c00",
                 skipped: "#9e9e9e" };

async function drawGraph(path) {
  const data = await api(path);
  const elements = [
    ...data.nodes.map((node) => ({ data: { id: node.unique_id, label: node.name,
      kind: node.resource_type, color: COLORS[node.status] || "#607d8b",
      focus: node.unique_id === data.focus ? 1 : 0 } })),
    ...data.edges.map((edge) => ({ data: { id: `${edge.source}->${edge.target}`,
      source: edge.source, target: edge.target } })),
  ];
  if (window.floeGraph) window.floeGraph.destroy(); // its container is gone with the old view
  const graph = cytoscape({
    container: document.getElementById("graph"),
    elements,
    layout: { name: "breadthfirst", directed: true, spacingFactor: 1.1,
              transform: (node, position) => ({ x: position.y, y: position.x }) },
    style: [
      { selector: "node", style: { label: "data(label)", "background-color": "data(color)",
        "font-size": 11, "text-valign": "bottom", width: 18, height: 18 } },
      { selector: "node[kind = 'seed'], node[kind = 'source']", style: { shape: "round-rectangle" } },
      { selector: "node[focus = 1]", style: { "border-width": 3, "border-color": "#000" } },
      { selector: "edge", style: { "curve-style": "bezier", "target-arrow-shape": "triangle",
        width: 1.5, "line-color": "#90a4ae", "target-arrow-color": "#90a4ae" } },
    ],
  });
  graph.on("tap", "node", (event) =>
    (location.hash = `#/models/${encodeURIComponent(event.target.id())}`));
  window.floeGraph = graph; // for tests and the console
}

window.addEventListener("hashchange", route);
route();
