// Models, seeds, snapshots, sources and exposures: the list, and one node's page with its
// docs, columns and types, tests with their history, freshness and duration trend.
import { api, facts, h, rendered, renderedInline, seconds, short, show, status, when } from "./dom.js";
import { drawGraph, graphToolbar, legend, traceColumn } from "./lineage.js";

export async function showModels(q) {
  const data = await api(`/api/models?q=${encodeURIComponent(q)}`);
  const input = h("input", { type: "search", id: "model-search", placeholder: "search names and docs",
                             value: q });
  input.addEventListener("change", () => (location.hash = `#/models?q=${encodeURIComponent(input.value)}`));
  const rows = data.models.map((model) =>
    h("tr", { class: "clickable model", "data-id": model.unique_id,
              onclick: () => (location.hash = `#/models/${encodeURIComponent(model.unique_id)}`) },
      h("td", {}, h("span", { class: `type type-${model.resource_type}` }, model.resource_type)),
      h("td", { class: "strong" }, model.name), h("td", {}, model.materialization || ""),
      h("td", {}, model.resource_type === "source" || model.resource_type === "exposure"
        ? h("span", { class: "muted" }, "–") : status(model.last_status)),
      h("td", { class: "muted clip" }, renderedInline(firstLine(model.description)))));
  show(h("h2", {}, "Models and sources"), h("p", {}, input,
      h("span", { class: "muted" }, ` ${data.models.length} nodes from the manifest of run `,
        data.manifest_run ? h("a", { href: `#/runs/${data.manifest_run}`, class: "mono" }, short(data.manifest_run)) : "–")),
    h("table", { id: "models", class: "grid" },
      h("thead", {}, h("tr", {}, ["type", "name", "materialized", "last status", "description"]
        .map((c) => h("th", {}, c)))),
      h("tbody", {}, rows)));
}

const firstLine = (text) => (text || "").split("\n").find((line) => line.trim()) || "";

export async function showModel(id, search) {
  const depth = search.get("depth") || "2";
  const data = await api(`/api/models/${encodeURIComponent(id)}`);
  const model = data.model;
  const base = `#/models/${encodeURIComponent(id)}`;
  const traced = search.get("column");
  show(
    h("header", { class: "page-head" },
      h("h2", { id: "model-header" }, h("span", { class: `type type-${model.resource_type}` }, model.resource_type),
        " ", model.name, " ", model.resource_type === "source" ? null : status(model.last_status)),
      facts([["unique id", h("span", { class: "mono" }, model.unique_id)], ["file", model.path],
        ["relation", data.relation_name], ["materialized", model.materialization],
        ["tags", model.tags.length ? model.tags.join(", ") : null],
        ["last run", model.last_run ? h("a", { href: `#/runs/${model.last_run}?node=${encodeURIComponent(id)}`,
          class: "mono" }, short(model.last_run)) : null]], "model-facts")),
    h("div", { class: "split" },
      h("section", {},
        h("div", { id: "model-docs", class: "card" },
          model.description ? rendered(model.description) : h("p", { class: "muted" }, "No description in the docs.")),
        h("h3", {}, "Lineage"), graphToolbar({ base, depth, tests: search.get("tests") === "1" }),
        traced ? h("p", { class: "trace-note", id: "trace-note" }) : null,
        h("div", { id: "graph", class: "graph small" }), legend(),
        data.compiled_code ? [h("h3", {}, "Compiled SQL (last run)"), h("pre", { id: "model-sql" }, data.compiled_code)]
          : data.raw_code ? [h("h3", {}, "SQL"), h("pre", { id: "model-sql" }, data.raw_code)] : null),
      h("aside", { class: "side" },
        model.resource_type === "source" ? freshness(data.freshness) : null,
        columns(data, traced), tests(data), model.resource_type === "source" ? null : trend(data))));
  await drawGraph(`/api/lineage?node=${encodeURIComponent(id)}&depth=${depth}` +
    (search.get("tests") === "1" ? "&tests=1" : ""));
  if (traced) await traceColumn(window.floeGraph, id, traced);
}

// A column on a model page: its name traces it in the graph; each upstream column it comes
// from links to that column on its own model page.
const columnLink = (uid, column) =>
  `#/models/${encodeURIComponent(uid)}?${new URLSearchParams({ column })}`;

function columns(data, traced) {
  const id = data.model.unique_id;
  const origin = (ref) => h("a", { href: columnLink(ref.unique_id, ref.column), class: "mono column-origin",
                                   title: `${ref.unique_id}.${ref.column}` },
    `${ref.unique_id.split(".").pop()}.${ref.column}`);
  return h("section", { class: "card" },
    h("h3", {}, `Columns (${data.columns.length})`),
    h("p", { class: "muted small" }, data.catalog_run
      ? ["Types from catalog.json of run ", h("a", { href: `#/runs/${data.catalog_run}`, class: "mono" }, short(data.catalog_run))]
      : "No catalog.json yet (run floe docs generate for the warehouse's types).",
      data.column_lineage_note ? h("span", { id: "column-lineage-note" }, ` Column lineage: ${data.column_lineage_note}.`)
        : " Click a column to trace it in the graph."),
    data.columns.length
      ? h("table", { id: "columns", class: "grid" },
          h("thead", {}, h("tr", {}, ["name", "type", "from", "description"].map((c) => h("th", {}, c)))),
          h("tbody", {}, data.columns.map((c) =>
            h("tr", { "data-column": c.name, class: traced && traced.toLowerCase() === c.name.toLowerCase() ? "selected" : "" },
              h("td", { class: "mono" }, h("a", { href: columnLink(id, c.name), class: "trace-link", title: "trace in the graph" }, c.name)),
              h("td", { class: "mono muted" }, c.data_type || "–"),
              h("td", { class: "origins" }, c.upstream.length ? c.upstream.map(origin).flatMap((link) => [link, " "]) : "–"),
              h("td", {}, renderedInline(c.description))))))
      : h("p", { class: "muted" }, "No documented columns."));
}

function tests(data) {
  return h("section", { class: "card" },
    h("h3", {}, `Tests (${data.tests.length})`),
    data.tests.length
      ? h("table", { id: "tests", class: "grid" },
          h("thead", {}, h("tr", {}, ["latest", "test", "recent runs (newest left)"].map((c) => h("th", {}, c)))),
          h("tbody", {}, data.tests.map((test) =>
            h("tr", { "data-id": test.unique_id }, h("td", {}, status(test.status)),
              h("td", { class: "wrap", title: test.unique_id }, test.name),
              h("td", { class: "history" }, test.history.slice(0, 20).map((outcome) =>
                h("a", { class: `pip status-${outcome.status}`, href: `#/runs/${outcome.invocation_id}?node=${encodeURIComponent(test.unique_id)}`,
                         title: `${when(outcome.started_at)}: ${outcome.status}${outcome.message ? ` — ${outcome.message}` : ""}` })))))))
      : h("p", { class: "muted" }, "No tests on this node."));
}

function freshness(found) {
  if (!found) {
    return h("section", { class: "card", id: "freshness" }, h("h3", {}, "Freshness"),
      h("p", { class: "muted" }, "No freshness check yet (floe source freshness keeps sources.json)."));
  }
  const age = found.age_seconds;
  return h("section", { class: "card", id: "freshness" },
    h("h3", {}, "Freshness ", status(found.status === "pass" ? "success" : found.status === "warn" ? "warn" : "error"),
      h("span", { class: "muted small" }, ` ${found.status}`)),
    facts([["newest row", found.max_loaded_at], ["checked", found.snapshotted_at],
      ["age", age !== null && age !== undefined ? seconds(age) : null],
      ["criteria", Object.keys(found.criteria).length ? JSON.stringify(found.criteria) : null],
      ["error", found.error]]));
}

function trend(data) {
  const runs = data.runs.filter((run) => run.duration_seconds !== null);
  if (!runs.length) return h("section", { class: "card" }, h("h3", {}, "Duration"), h("p", { class: "muted" }, "Not run recently."));
  const width = 320;
  const height = 70;
  const most = Math.max(...runs.map((run) => run.duration_seconds), 0.001);
  const step = Math.min(width / Math.max(runs.length, 1), 28);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("class", "trend");
  svg.setAttribute("id", "duration-trend");
  runs.forEach((run, index) => {
    const bar = document.createElementNS(ns, "rect");
    const tall = Math.max(2, ((height - 4) * run.duration_seconds) / most);
    bar.setAttribute("x", `${index * step + 1}`);
    bar.setAttribute("y", `${height - tall}`);
    bar.setAttribute("width", `${Math.max(step - 2, 1)}`);
    bar.setAttribute("height", `${tall}`);
    bar.setAttribute("class", `status-fill-${run.status}`);
    const title = document.createElementNS(ns, "title");
    title.textContent = `${when(run.started_at)}: ${seconds(run.duration_seconds)} (${run.status})`;
    bar.append(title);
    svg.append(bar);
  });
  const last = runs[runs.length - 1].duration_seconds;
  return h("section", { class: "card" },
    h("h3", {}, `Duration over the last ${runs.length} run(s)`), svg,
    h("p", { class: "muted small" }, `latest ${seconds(last)} · slowest ${seconds(most)} · oldest left`));
}
