// floe ui: a hash-routed page over the JSON API. No build step; cytoscape (with its dagre
// layout) and markdown-it are globals from the vendored scripts.
import { h, show } from "./dom.js";
import { showModel, showModels } from "./catalog.js";
import { showLineage } from "./lineage.js";
import { showRun, showRuns } from "./run.js";

let cleanup = () => {};
const setCleanup = (next) => { cleanup = next; };

async function route() {
  cleanup();
  cleanup = () => {};
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const search = new URLSearchParams(query || "");
  for (const link of document.querySelectorAll("header nav a")) {
    link.classList.toggle("active", link.getAttribute("href") === `#/${parts[0] || "runs"}`);
  }
  try {
    if (parts[0] === "runs" && parts[1]) await showRun(parts[1], search, setCleanup);
    else if (parts[0] === "models" && parts[1]) await showModel(parts[1], search);
    else if (parts[0] === "models") await showModels(search.get("q") || "");
    else if (parts[0] === "lineage") await showLineage(search);
    else await showRuns(setCleanup);
  } catch (error) {
    show(h("p", { class: "error-box", id: "error" }, String(error.message)));
  }
}

window.addEventListener("hashchange", route);
route();
