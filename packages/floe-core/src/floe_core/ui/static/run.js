// The runs list and one run's page: problems first, the invocation, a timeline on a time
// axis with a filter, a node's details, and the comparison with the previous run.
import { FAILED, api, facts, fileLink, h, seconds, short, show, status, token, when } from "./dom.js";

export async function showRuns(setCleanup) {
  const data = await api("/api/runs");
  document.getElementById("project").textContent = `${data.project} · ${data.store}`;
  const rows = data.runs.map((run) =>
    h("tr", { class: `clickable run row-${run.status}`, "data-id": run.invocation_id,
              onclick: () => (location.hash = `#/runs/${run.invocation_id}`) },
      h("td", {}, status(run.status)),
      h("td", {}, h("a", { href: `#/runs/${run.invocation_id}`, class: "mono" }, short(run.invocation_id))),
      h("td", {}, when(run.started_at)), h("td", {}, run.command), h("td", {}, run.runtime),
      h("td", { class: "num" }, seconds(run.elapsed_seconds)),
      h("td", { class: "num" }, `${run.nodes}`),
      h("td", { class: `num ${run.failures ? "bad" : ""}` }, `${run.failures}`)));
  show(
    h("h2", {}, "Runs"),
    rows.length
      ? h("table", { id: "runs", class: "grid" },
          h("thead", {}, h("tr", {}, ["status", "run", "started", "command", "runtime",
                                      "duration", "nodes", "failures"].map((c) => h("th", {}, c)))),
          h("tbody", {}, rows))
      : h("p", { class: "muted" }, `No runs of ${data.project} yet: run floe build.`));
  if (data.runs.some((run) => run.status === "running")) {
    const timer = setTimeout(() => showRuns(setCleanup), 3000);
    setCleanup(() => clearTimeout(timer));
  }
}

const FILTERS = {
  all: () => true,
  failed: (node) => FAILED.has(node.status) || node.status === "warn" || node.status === "cancelled",
  skipped: (node) => ["skipped", "not_run", "cancelled"].includes(node.status),
  slowest: () => true,
};
const PROBLEMS = new Set(["error", "fail", "warn", "cancelled"]);

export async function showRun(id, search, setCleanup) {
  const path = `/api/runs/${encodeURIComponent(id)}`;
  let detail = await api(path);
  const fetched = performance.now();
  const base = `#/runs/${encodeURIComponent(id)}`;
  const render = () => {
    const selected = search.get("node");
    const filter = FILTERS[search.get("filter")] ? search.get("filter") : "all";
    const started = performance.now();
    show(
      runHeader(detail),
      detail.error ? h("pre", { class: "error-box", id: "run-error" }, detail.error) : null,
      statePanel(detail, base),
      problems(detail, base),
      h("div", { class: "split" },
        h("section", { class: "timeline-panel" },
          filterBar(detail, base, filter, selected), timeline(detail, base, filter, selected)),
        h("aside", { class: "side" },
          h("section", { id: "node-detail", class: "card" }, nodeDetail(detail, selected)),
          invocationPanel(detail))));
    if (selected) showSql(id, selected);
    // For the browser test's figures: ms since navigation when the data came, when the DOM
    // was built and when the browser had laid it out and painted it (the next frame's end).
    const timings = { fetched, rendered: performance.now(), render: performance.now() - started };
    requestAnimationFrame(() => setTimeout(() => {
      window.floeRunTimings = { ...timings, painted: performance.now() };
    }, 0));
  };
  render();
  if (detail.run.status === "running") {
    // Live: every event from the run's log refreshes the page's data (coalesced).
    const suffix = token ? `?token=${encodeURIComponent(token)}` : "";
    const source = new EventSource(`${path}/events${suffix}`);
    let pending = null;
    const refresh = () => {
      pending = pending || setTimeout(async () => {
        pending = null;
        detail = await api(path);
        render();
      }, 250);
    };
    source.onmessage = refresh;
    source.addEventListener("end", () => { source.close(); refresh(); });
    setCleanup(() => source.close());
  }
}

function counts(nodes) {
  const count = {};
  for (const node of nodes) count[node.status] = (count[node.status] || 0) + 1;
  return count;
}

function runHeader(detail) {
  const run = detail.run;
  const count = counts(detail.nodes);
  const parts = [["success", "ok"], ["error", "error"], ["fail", "failed tests"], ["warn", "warned"],
    ["skipped", "skipped"], ["cancelled", "cancelled"], ["not_run", "not run"],
    ["running", "running"], ["pending", "pending"]]
    .filter(([key]) => count[key]).map(([key, label]) =>
      h("span", { class: `count status-${key}` }, `${count[key]} ${label}`));
  const previous = detail.previous;
  return h("header", { class: "page-head" },
    h("h2", { id: "run-header" }, `${run.command} on ${run.runtime} `, status(run.status)),
    h("p", { class: "muted" }, h("span", { class: "mono" }, run.invocation_id),
      ` · started ${when(run.started_at)} · took ${seconds(run.elapsed_seconds)} · `,
      `${detail.nodes.length} nodes: `, parts),
    previous ? h("p", { id: "comparison", class: "comparison" },
      "Against the previous run of the same selection ",
      h("a", { href: `#/runs/${previous.invocation_id}`, class: "mono" }, short(previous.invocation_id)),
      ` (${previous.status}, ${seconds(previous.elapsed_seconds)}): `,
      previous.new_failures.length
        ? h("span", { class: "bad" }, `${previous.new_failures.length} new failure(s): `,
            previous.new_failures.map((uid) => uid.split(".").pop()).join(", "))
        : "no new failures",
      previous.fixed.length ? ` · ${previous.fixed.length} fixed` : "",
      run.elapsed_seconds && previous.elapsed_seconds
        ? ` · ${change(run.elapsed_seconds, previous.elapsed_seconds)} overall` : "")
      : h("p", { class: "muted", id: "comparison" }, "No earlier run of the same selection to compare with."));
}

function change(now, before) {
  if (before === null || before === undefined || now === null || now === undefined) return "";
  const delta = now - before;
  const sign = delta >= 0 ? "+" : "−";
  const percent = before > 0 ? ` (${sign}${Math.abs((100 * delta) / before).toFixed(0)}%)` : "";
  return `${sign}${seconds(Math.abs(delta))}${percent}`;
}

function problems(detail, base) {
  const found = detail.nodes.filter((node) => PROBLEMS.has(node.status));
  if (!found.length) return null;
  found.sort((a, b) => (FAILED.has(b.status) - FAILED.has(a.status)));
  return h("section", { id: "problems" },
    h("h3", {}, `Needs attention (${found.length})`),
    found.slice(0, 20).map((node) => {
      const message = (node.result && node.result.message) ||
        (node.status === "cancelled" ? "still running when the run ended" : "");
      return h("article", { class: `problem status-border-${node.status}`, "data-id": node.unique_id },
        h("div", { class: "problem-head" }, status(node.status), " ",
          h("a", { href: `${base}?node=${encodeURIComponent(node.unique_id)}`, class: "node-name" },
            node.unique_id),
          node.new_failure ? h("span", { class: "tag new" }, "new since previous run") : null),
        message ? h("pre", { class: "problem-message" }, message) : null,
        node.log.length ? h("details", { class: "log", open: FAILED.has(node.status) },
          h("summary", {}, `dbt.log (${node.log.length} lines)`),
          h("pre", { class: "log-lines" }, node.log.join("\n"))) : null);
    }),
    found.length > 20 ? h("p", { class: "muted" }, `and ${found.length - 20} more: filter "failed" below`) : null);
}

function filterBar(detail, base, filter, selected) {
  const count = (name) => detail.nodes.filter(FILTERS[name]).length;
  const link = (name, label) => {
    const query = new URLSearchParams({ filter: name });
    if (selected) query.set("node", selected);
    return h("a", { class: `filter ${filter === name ? "active" : ""}`, id: `filter-${name}`,
                    href: `${base}?${query}` }, label);
  };
  return h("nav", { class: "filters" },
    link("all", `All ${detail.nodes.length}`), link("failed", `Failed ${count("failed")}`),
    link("skipped", `Skipped ${count("skipped")}`), link("slowest", "Slowest 25"),
    h("span", { class: "legend muted" }, h("span", { class: "swatch critical" }), "critical path",
      h("span", { class: "swatch hatched" }), "did not run"));
}

const duration = (node) => node.duration_seconds ?? (node.started_at && !node.completed_at
  ? (Date.now() - new Date(node.started_at)) / 1000 : null);

function niceStep(total) {
  const steps = [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
  return steps.find((step) => total / step <= 8) || 7200;
}

function timeline(detail, base, filter, selected) {
  const timed = detail.nodes.filter((node) => node.started_at);
  const runStart = new Date(detail.run.started_at).getTime();
  const start = timed.length ? Math.min(...timed.map((node) => new Date(node.started_at))) : runStart;
  const end = Math.max(start + 1, ...timed.map((node) =>
    node.completed_at ? new Date(node.completed_at).getTime() : Date.now()));
  const total = end - start;
  let nodes = detail.nodes.filter(FILTERS[filter]);
  if (filter === "slowest") {
    nodes = nodes.filter((node) => duration(node) !== null)
      .sort((a, b) => duration(b) - duration(a)).slice(0, 25);
  }
  const step = niceStep(total / 1000);
  const ticks = [];
  for (let at = 0; at <= total / 1000 + 1e-9; at += step) {
    ticks.push(h("span", { class: "tick", style: `left:${(100 * at * 1000) / total}%` }, seconds(at)));
  }
  const row = (node) => {
    let bar = null;
    if (node.started_at) {
      const from = new Date(node.started_at) - start;
      const to = (node.completed_at ? new Date(node.completed_at) : Date.now()) - start;
      const classes = ["bar", `status-${node.status}`, node.critical ? "critical" : ""];
      bar = h("div", { class: classes.join(" "), "data-id": node.unique_id,
                       title: `${node.unique_id}: ${node.status}, ${seconds(duration(node))}`,
                       style: `left:${(100 * from) / total}%;width:${(100 * (to - from)) / total}%` });
    }
    const rowClass = ["gantt-row", ["skipped", "not_run", "pending"].includes(node.status) ? "skipped" : "",
                      node.unique_id === selected ? "selected" : ""].join(" ");
    const query = new URLSearchParams({ node: node.unique_id });
    if (filter !== "all") query.set("filter", filter);
    return h("div", { class: rowClass, "data-id": node.unique_id,
                      onclick: () => (location.hash = `${base}?${query}`) },
      h("span", { class: "gantt-label", title: node.unique_id },
        h("span", { class: `dot status-${node.status}` }), h("span", { class: "kind" }, node.resource_type),
        " ", node.name),
      h("div", { class: "gantt-track" }, bar),
      h("span", { class: "gantt-time" }, seconds(duration(node))));
  };
  const setup = h("p", { class: "muted", id: "setup-time" },
    `first node started ${((start - runStart) / 1000).toFixed(2)}s after the run (parse, setup)`);
  // The first screen's rows now; the rest after the first paint (a 2,000-node run's rows
  // are most of the page's work, and all but ~40 are below the fold).
  const gantt = h("div", { id: "gantt", "data-rows": nodes.length },
    h("div", { class: "gantt-row axis" }, h("span", { class: "gantt-label muted" }, "time since first node"),
      h("div", { class: "gantt-track axis-track", id: "time-axis" }, ticks), h("span", {})),
    nodes.length ? nodes.slice(0, FIRST_ROWS).map(row) : h("p", { class: "muted pad" }, "No node matches this filter."));
  window.floeRowsDone = nodes.length > FIRST_ROWS ? null : performance.now();
  if (nodes.length > FIRST_ROWS) {
    requestAnimationFrame(() => setTimeout(() => {
      gantt.append(...nodes.slice(FIRST_ROWS).map(row));
      window.floeRowsDone = performance.now(); // for the browser test's figures
    }, 0));
  }
  return [setup, gantt];
}
const FIRST_ROWS = 120;

function nodeDetail(detail, selected) {
  const node = detail.nodes.find((candidate) => candidate.unique_id === selected);
  if (!node) return h("p", { class: "muted" }, "Click a node for its details, error and SQL.");
  const result = node.result || {};
  const adapter = result.adapter_response || {};
  const runId = detail.run.invocation_id;
  return h("div", {},
    h("h3", { class: "node-title" }, status(node.status), " ", node.name),
    facts([
      ["unique id", h("span", { class: "mono" }, node.unique_id)],
      ["type", [node.resource_type, result.materialization].filter((part, index, all) =>
        part && all.indexOf(part) === index).join(", ")],
      ["started", when(node.started_at)],
      ["duration", h("span", { id: "node-duration" }, seconds(duration(node)))],
      ["previous run", node.previous_seconds !== null && node.previous_seconds !== undefined
        ? [seconds(node.previous_seconds), duration(node) !== null
          ? ` (now ${change(duration(node), node.previous_seconds)})` : ""].join("") : null],
      ["rows", h("span", { id: "node-rows" }, `${adapter.rows_affected ?? "–"}`)],
      ["message", h("span", { id: "node-message" }, result.message || "–")],
      ["relation", result.relation_name],
      ["critical path", node.critical ? "yes: it decided when the run ended" : "no"],
      ["waited for", node.depends_on.length ? node.depends_on.join(", ") : "–"],
    ]),
    h("p", {}, h("a", { href: `#/models/${encodeURIComponent(node.unique_id)}` }, "model page"), " · ",
      h("a", { href: `#/lineage?node=${encodeURIComponent(node.unique_id)}` }, "lineage")),
    node.log.length ? [h("h4", {}, "dbt.log"), h("pre", { class: "log-lines" }, node.log.join("\n"))] : null,
    h("div", { id: "node-sql" }),
    h("p", { class: "muted" }, "All files: ", detail.files.map((name) =>
      h("a", { href: fileLink(runId, name), target: "_blank", class: "file" }, name))));
}

// A node's compiled SQL is fetched when it is opened: on a large run it is most of the data.
const sqlCache = new Map();
async function showSql(runId, uniqueId) {
  const key = `${runId} ${uniqueId}`;
  if (!sqlCache.has(key)) {
    const node = await api(`/api/runs/${encodeURIComponent(runId)}/nodes/${encodeURIComponent(uniqueId)}`);
    sqlCache.set(key, (node.result && node.result.compiled_code) || "");
  }
  const box = document.getElementById("node-sql");
  const sql = sqlCache.get(key);
  if (box && sql) box.replaceChildren(h("h4", {}, "Compiled SQL"), h("pre", { id: "compiled-sql" }, sql));
}

// Slim CI: the state the run compared with, what the state selection executed, and which
// parents were read from the state's relations instead of being built (--defer).
function statePanel(detail, base) {
  const state = detail.invocation && detail.invocation.state;
  if (!state) return null;
  const known = new Map(detail.nodes.map((node) => [node.unique_id, node.name]));
  // Models, seeds and snapshots by name; their tests only counted (the timeline lists them).
  const tested = state.selected.filter((uid) => uid.startsWith("test.") || uid.startsWith("unit_test."));
  const built = state.selected.filter((uid) => !tested.includes(uid));
  const names = (ids, link) => ids.length
    ? ids.map((uid) => h("a", { href: link(uid), class: "state-node", title: uid, "data-id": uid },
        known.get(uid) || uid.split(".").pop())).flatMap((a) => [a, " "])
    : h("span", { class: "muted" }, "none");
  return h("section", { id: "state", class: "card state" },
    h("h3", {}, "State"),
    h("p", {}, "Compared with ", h("span", { class: "mono" }, state.ref),
      state.run_id ? [" = run ", h("a", { href: `#/runs/${encodeURIComponent(state.run_id)}`, class: "mono",
                                           id: "state-run" }, short(state.run_id))] : " (a folder)",
      state.defer ? [" ", h("span", { class: "tag" }, "defer")] : null,
      state.favor_state ? [" ", h("span", { class: "tag" }, "favor state")] : null),
    h("p", { id: "state-selected" }, h("strong", {}, `Selected by state (${state.selected.length}): `),
      names(built, (uid) => `${base}?node=${encodeURIComponent(uid)}`),
      tested.length ? h("span", { class: "muted" }, `and ${tested.length} test(s)`) : null),
    state.defer ? h("p", { id: "state-deferred" },
      h("strong", {}, `Deferred to the state's relations (${state.deferred.length}): `),
      names(state.deferred, (uid) => `#/models/${encodeURIComponent(uid)}`)) : null);
}

function invocationPanel(detail) {
  const run = detail.run;
  const asked = detail.invocation || {};
  const meta = asked.runtime_metadata || {};
  const { user, host, ...where } = meta;
  const selection = [
    asked.select && asked.select.length ? `--select ${asked.select.join(" ")}` : "",
    asked.state ? `--state ${asked.state.ref}${asked.state.defer ? " --defer" : ""}` : "",
    asked.exclude && asked.exclude.length ? `--exclude ${asked.exclude.join(" ")}` : "",
    asked.selector ? `--selector ${asked.selector}` : "",
  ].filter(Boolean).join(" ") || "everything (no selection)";
  const vars = asked.vars && Object.keys(asked.vars).length ? JSON.stringify(asked.vars) : "–";
  return h("section", { id: "invocation", class: "card" },
    h("h3", {}, "Invocation"),
    facts([
      ["command", h("span", { class: "mono" }, `floe ${run.command} ${selection.startsWith("--") ? selection : ""}`)],
      ["selection", selection],
      ["vars", h("span", { class: "mono" }, vars)],
      ["target", asked.target || "–"],
      ["state", asked.state ? `${asked.state.ref}${asked.state.defer ? " (defer)" : ""}` : null],
      ["retry of", asked.retry_of ? h("a", { href: `#/runs/${encodeURIComponent(asked.retry_of)}`, class: "mono" },
        short(asked.retry_of)) : null],
      ["runtime", run.runtime],
      ["threads", asked.threads ? `${asked.threads}` : null],
      ["full refresh", asked.full_refresh ? "yes" : null],
      ["fail fast", asked.fail_fast ? "yes" : null],
      ["dbt", asked.dbt_version || "–"],
      ["floe", asked.floe_version || "not recorded"],
      ["by", user || host ? `${user || "?"}@${host || "?"}` : "not recorded"],
      ...Object.entries(where).filter(([, value]) => value !== null && typeof value !== "object")
        .map(([key, value]) => [key.replaceAll("_", " "),
          typeof value === "number" && !Number.isInteger(value) ? value.toFixed(2) : `${value}`]),
    ], "invocation-facts"),
    h("p", { id: "run-files" }, "Files: ", detail.files.map((name) =>
      h("a", { href: fileLink(run.invocation_id, name), target: "_blank", class: "file" }, name))));
}
