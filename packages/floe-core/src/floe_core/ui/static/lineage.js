// The lineage graph: cytoscape with the dagre layered layout (left to right), colour and
// shape by resource type, border by last-run status, and a dbt selection box.
import { api, h, show } from "./dom.js";

const TYPES = {
  source: { color: "#c8e6c9", shape: "round-tag", label: "source" },
  seed: { color: "#fff59d", shape: "barrel", label: "seed" },
  model: { color: "#bbdefb", shape: "round-rectangle", label: "model" },
  snapshot: { color: "#e1bee7", shape: "cut-rectangle", label: "snapshot" },
  exposure: { color: "#ffccbc", shape: "concave-hexagon", label: "exposure" },
  test: { color: "#eeeeee", shape: "ellipse", label: "test" },
};
const STATUS = { success: "#2e7d32", error: "#c62828", fail: "#c62828", warn: "#ef6c00",
                 skipped: "#757575" };
export const FONT_PX = 13;
const READABLE_PX = 11;

export function legend() {
  return h("div", { class: "legend", id: "legend" },
    Object.entries(TYPES).map(([kind, type]) =>
      h("span", { class: "legend-item" }, h("span", { class: `shape shape-${kind}`, style: `background:${type.color}` }), type.label)),
    h("span", { class: "legend-gap" }, "last run:"),
    Object.entries({ success: "ok", error: "error / failed", warn: "warned", skipped: "skipped" }).map(([key, label]) =>
      h("span", { class: "legend-item" }, h("span", { class: "ring", style: `border-color:${STATUS[key]}` }), label)),
    h("span", { class: "legend-item" }, h("span", { class: "ring", style: "border-color:#b0bec5;border-style:dashed" }), "never run"));
}

// The select box, test switch and view buttons; ``base`` is the page's hash without query.
export function graphToolbar({ base, depth, select, tests, focus }) {
  const go = (changes) => {
    const query = new URLSearchParams();
    const next = { depth, select, tests: tests ? "1" : "", node: focus, ...changes };
    for (const [key, value] of Object.entries(next)) if (value) query.set(key, value);
    location.hash = `${base}?${query}`;
  };
  const selectBox = select !== undefined
    ? h("input", { type: "search", id: "select", placeholder: "dbt selection, e.g. +orders tag:nightly",
                   value: select || "", size: "32" }) : null;
  if (selectBox) selectBox.addEventListener("change", () => go({ select: selectBox.value.trim() }));
  const depthBox = focus !== null
    ? h("input", { type: "number", id: "depth", min: "0", max: "50", value: depth }) : null;
  if (depthBox) depthBox.addEventListener("change", () => go({ depth: depthBox.value }));
  const testBox = h("input", { type: "checkbox", id: "show-tests", checked: tests });
  testBox.addEventListener("change", () => go({ tests: testBox.checked ? "1" : "" }));
  const zoom = (factor) => {
    const graph = window.floeGraph;
    if (!graph) return;
    graph.zoom({ level: graph.zoom() * factor, renderedPosition: { x: graph.width() / 2, y: graph.height() / 2 } });
  };
  return h("div", { class: "toolbar" },
    selectBox ? h("label", {}, "select ", selectBox) : null,
    depthBox ? h("label", {}, "depth ", depthBox) : null,
    h("label", {}, testBox, " tests"),
    h("button", { type: "button", id: "fit", onclick: () => window.floeGraph && window.floeGraph.fit(undefined, 30) }, "fit all"),
    h("button", { type: "button", id: "readable", onclick: () => readable(window.floeGraph) }, "readable zoom"),
    h("button", { type: "button", onclick: () => zoom(1.25) }, "+"),
    h("button", { type: "button", onclick: () => zoom(0.8) }, "−"),
    h("span", { class: "muted", id: "graph-count" }));
}

export async function showLineage(search) {
  const node = search.get("node");
  const depth = search.get("depth") || "2";
  const select = search.get("select") || "";
  const tests = search.get("tests") === "1";
  const column = search.get("column");
  show(h("h2", {}, node ? `Lineage of ${node}` : "Lineage"),
    graphToolbar({ base: "#/lineage", depth, select, tests, focus: node }),
    h("p", { class: "muted", id: "select-note" }),
    column ? h("p", { class: "trace-note", id: "trace-note" }) : null,
    h("div", { id: "graph", class: "graph" }), legend(),
    h("div", { id: "graph-info", class: "card graph-info", hidden: true }));
  const query = new URLSearchParams();
  if (node) { query.set("node", node); query.set("depth", depth); }
  if (select) query.set("select", select);
  if (tests) query.set("tests", "1");
  const data = await drawGraph(`/api/lineage?${query}`, true);
  if (node && column) await traceColumn(window.floeGraph, node, column);
  if (select) {
    document.getElementById("select-note").textContent = data.nodes.length
      ? `${data.nodes.length} nodes: what floe's plan selects for "${select}", with the sources they read` +
        (/(^|[\s,+@])(state|result|source_status):/.test(select)
          ? " (compared with the newest successful run: --state latest)" : "")
      : `"${select}" selects nothing in this project`;
  }
}

// Zoom so labels are at least READABLE_PX on screen, keeping ``around`` (or the graph's
// left, where the sources are) in view.
function readable(graph, around) {
  if (!graph) return;
  const level = Math.max(graph.zoom(), (READABLE_PX + 1) / FONT_PX);
  graph.zoom(level);
  const target = around && around.length ? around : graph.nodes().filter((n) => n.indegree() === 0);
  const box = target.boundingBox();
  const first = graph.nodes().boundingBox();
  graph.pan({ x: 30 - first.x1 * level, y: graph.height() / 2 - ((box.y1 + box.y2) / 2) * level });
  if (around && around.length) graph.center(around);
}

// cytoscape and its dagre layout (480 kB) load with the first graph, not with every page.
let graphLibrary = null;
function loadGraphLibrary() {
  const script = (src) => new Promise((resolve, reject) => {
    const element = h("script", { src });
    element.addEventListener("load", resolve);
    element.addEventListener("error", () => reject(new Error(`could not load ${src}`)));
    document.head.append(element);
  });
  graphLibrary = graphLibrary || script("/static/vendor/cytoscape.min.js")
    .then(() => script("/static/vendor/cytoscape-dagre.min.js"));
  return graphLibrary;
}

export async function drawGraph(path, infoPanel = false) {
  const [data] = await Promise.all([api(path), loadGraphLibrary()]);
  const elements = [
    ...data.nodes.map((node) => ({ data: {
      id: node.unique_id, label: node.name, kind: node.resource_type,
      fill: (TYPES[node.resource_type] || TYPES.model).color,
      ring: STATUS[node.status] || "#b0bec5", ran: node.status ? 1 : 0,
      focus: node.unique_id === data.focus ? 1 : 0,
      width: Math.max(40, node.name.length * FONT_PX * 0.62 + (["exposure", "source"].includes(node.resource_type) ? 44 : 24)) } })),
    ...data.edges.map((edge) => ({ data: { id: `${edge.source}->${edge.target}`,
      source: edge.source, target: edge.target } })),
  ];
  if (window.floeGraph) window.floeGraph.destroy(); // its container is gone with the old view
  const started = performance.now();
  const graph = cytoscape({
    container: document.getElementById("graph"),
    elements,
    minZoom: 0.02, maxZoom: 4, wheelSensitivity: 0.3,
    // dagre's default ranker (network simplex) draws the tightest layers but takes ~40 s
    // on 1,000 models; longest-path takes ~2 s there.
    layout: { name: "dagre", rankDir: "LR", ranker: data.nodes.length > 300 ? "longest-path" : "network-simplex",
              nodeSep: 12, rankSep: 70, edgeSep: 6, fit: false },
    style: [
      { selector: "node", style: {
        label: "data(label)", "font-size": FONT_PX, "font-family": "system-ui, sans-serif",
        "text-valign": "center", "text-halign": "center", color: "#102027",
        "background-color": "data(fill)", shape: "round-rectangle",
        width: "data(width)", height: 26, "border-width": 2, "border-color": "data(ring)",
        "min-zoomed-font-size": 5 } },
      { selector: "node[ran = 0]", style: { "border-style": "dashed" } },
      ...Object.entries(TYPES).map(([kind, type]) => ({ selector: `node[kind = '${kind}']`, style: { shape: type.shape } })),
      { selector: "node[kind = 'test']", style: { "font-size": FONT_PX - 1, height: 22 } },
      { selector: "node[focus = 1]", style: { "border-width": 4, "border-color": "#0d47a1", "font-weight": "bold" } },
      { selector: "node:selected", style: { "overlay-opacity": 0.15, "overlay-color": "#0d47a1" } },
      { selector: "edge", style: { "curve-style": "bezier", "target-arrow-shape": "triangle",
        width: 1.2, "line-color": "#90a4ae", "target-arrow-color": "#90a4ae", "arrow-scale": 0.8,
        opacity: data.nodes.length > 300 ? 0.35 : 1 } },
      // A traced column: the nodes holding it, its columns under their name, the rest faded.
      { selector: "node.traced", style: { "text-wrap": "wrap", height: "data(tall)", width: "data(wide)",
        "border-color": "#6a1b9a", "border-width": 3 } },
      { selector: ".faded", style: { opacity: 0.25 } },
      { selector: "edge.traced", style: { "line-color": "#6a1b9a", "target-arrow-color": "#6a1b9a",
        width: 2.5, opacity: 1, "z-index": 10 } },
      // A tapped node's own edges stand out of a dense graph.
      { selector: "edge.near", style: { "line-color": "#1565c0", "target-arrow-color": "#1565c0",
        width: 2.5, opacity: 1, "z-index": 10 } },
    ],
  });
  window.floeLayoutMs = performance.now() - started;
  const count = document.getElementById("graph-count");
  if (count) count.textContent = `${data.nodes.length} nodes, ${data.edges.length} edges · drag to pan, scroll to zoom`;
  graph.fit(undefined, 30);
  if (graph.zoom() > 1.2) { graph.zoom(1.2); graph.center(); } // a small graph stays life-size
  // Shown whole if its labels can still be read so; else at a zoom where they can.
  if (graph.zoom() * FONT_PX < READABLE_PX) {
    readable(graph, data.focus ? graph.getElementById(data.focus) : null);
  }
  graph.on("tap", "node", (event) => {
    const id = event.target.id();
    graph.edges().removeClass("near");
    event.target.connectedEdges().addClass("near");
    if (!infoPanel) { location.hash = `#/models/${encodeURIComponent(id)}`; return; }
    const node = data.nodes.find((candidate) => candidate.unique_id === id);
    const panel = document.getElementById("graph-info");
    panel.hidden = false;
    panel.replaceChildren(
      h("strong", {}, node.name), " ", h("span", { class: `type type-${node.resource_type}` }, node.resource_type),
      h("div", { class: "mono small" }, node.unique_id),
      h("div", {}, `last run: ${node.status || "never run"}`, node.tags.length ? ` · tags: ${node.tags.join(", ")}` : ""),
      h("a", { href: `#/models/${encodeURIComponent(id)}` }, "open"), " · ",
      h("a", { href: `#/lineage?node=${encodeURIComponent(id)}&depth=2` }, "lineage around it"),
      h("div", { id: "trace-columns", class: "small" }));
    traceChoices(id);
  });
  window.floeGraph = graph; // for tests and the console
  return data;
}

// The tapped node's columns, each a link tracing it through the graph.
async function traceChoices(id) {
  const model = await api(`/api/models/${encodeURIComponent(id)}`);
  const box = document.getElementById("trace-columns");
  if (!box || !model.columns.length) return;
  const here = new URLSearchParams(location.hash.split("?")[1] || "");
  box.replaceChildren("trace a column: ", model.columns.map((column) => {
    const query = new URLSearchParams({ node: id, depth: here.get("depth") || "2", column: column.name });
    return h("a", { href: `#/lineage?${query}`, class: "mono trace-link" }, column.name);
  }).flatMap((link) => [link, " "]));
}

// Highlights where ``column`` of ``node`` comes from and what is computed from it: each
// node holding a traced column shows those columns under its name; the rest fades.
export async function traceColumn(graph, node, column) {
  const trace = await api(`/api/column-lineage?node=${encodeURIComponent(node)}&column=${encodeURIComponent(column)}`);
  const byNode = new Map();
  for (const ref of trace.columns) {
    if (!byNode.has(ref.unique_id)) byNode.set(ref.unique_id, []);
    byNode.get(ref.unique_id).push(ref.column);
  }
  graph.elements().addClass("faded");
  let drawn = 0;
  for (const [id, columns] of byNode) {
    const element = graph.getElementById(id);
    if (!element.length) continue;
    drawn += 1;
    const label = `${element.data("label")}\n${columns.map((name) => `· ${name}`).join("\n")}`;
    const longest = Math.max(...label.split("\n").map((line) => line.length));
    element.data({ label, tall: 26 + 16 * columns.length,
                   wide: Math.max(element.data("width"), longest * FONT_PX * 0.62 + 24) });
    element.removeClass("faded").addClass("traced");
  }
  for (const edge of trace.edges) {
    graph.getElementById(`${edge.source.unique_id}->${edge.target.unique_id}`)
      .removeClass("faded").addClass("traced");
  }
  const note = document.getElementById("trace-note");
  if (note) {
    const hidden = byNode.size - drawn;
    note.textContent = `Column ${column} of ${node.split(".").pop()}: ${trace.columns.length} column(s) in ` +
      `${byNode.size} node(s)` + (hidden ? ` (${hidden} beyond this depth)` : "") +
      (trace.note ? ` · ${trace.note}` : "");
  }
  window.floeTrace = trace; // for tests and the console
  return trace;
}
