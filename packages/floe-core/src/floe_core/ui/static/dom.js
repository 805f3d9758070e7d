// Small helpers every view uses: the API call, element building, formatting, markdown.

// A token given once as ?token=... is kept for this tab and sent on every API call.
const params = new URLSearchParams(location.search);
if (params.get("token")) sessionStorage.setItem("floe-token", params.get("token"));
export const token = sessionStorage.getItem("floe-token");

export async function api(path) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const response = await fetch(path, { headers });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

// A link to a stored file of a run: the token goes in the query (a link cannot send headers).
export function fileLink(runId, name) {
  const suffix = token ? `?token=${encodeURIComponent(token)}` : "";
  return `/api/runs/${encodeURIComponent(runId)}/files/${encodeURIComponent(name)}${suffix}`;
}

export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) element.append(child);
  }
  return element;
}

const view = document.getElementById("view");
// replaceChildren would print a skipped (null) part as the text "null".
export const show = (...parts) =>
  view.replaceChildren(...parts.flat().filter((part) => part != null && part !== false));

const LABELS = { not_run: "not run", timed_out: "timed out" };
export const status = (value) =>
  h("span", { class: `badge status-${value || "none"}` }, LABELS[value] || value || "never run");
export const when = (iso) => (iso ? new Date(iso).toLocaleString() : "–");
export function seconds(value) {
  if (value === null || value === undefined) return "–";
  if (value < 60) return `${value.toFixed(value < 10 ? 2 : 1)}s`;
  return `${Math.floor(value / 60)}m${String(Math.round(value % 60)).padStart(2, "0")}s`;
}
export const short = (id) => id.slice(0, 8);
export const FAILED = new Set(["error", "fail"]);

// Docs are markdown; raw HTML in them is shown as text (html: false), and markdown-it
// refuses javascript:/vbscript:/file: links, so a description cannot run script.
const markdown = window.markdownit({ html: false, linkify: true, typographer: false });
export function rendered(text, className = "markdown") {
  const box = h("div", { class: className });
  box.innerHTML = markdown.render(text || "");
  for (const link of box.querySelectorAll("a")) link.setAttribute("rel", "noopener noreferrer");
  return box;
}
export function renderedInline(text) {
  const box = h("span", { class: "markdown-inline" });
  box.innerHTML = markdown.renderInline(text || "");
  return box;
}

// A definition list from [term, value] pairs, skipping empty values.
export function facts(pairs, id) {
  const kept = pairs.filter(([, value]) => value !== null && value !== undefined && value !== "");
  return h("dl", { class: "facts", id }, kept.flatMap(([term, value]) =>
    [h("dt", {}, term), h("dd", {}, value)]));
}
