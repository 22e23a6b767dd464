// Executions: skills (or a prompt and a JSON schema) run over files as durable jobs.
//   #/executions        every execution, newest first, polled while some are still running
//   #/executions/ID     one execution: status, inputs, skills, its JSON answer, artifacts

import { api, setMediaSource } from "./api.js";
import { clock, fill, h, note, spinner, statusBadge, when } from "./dom.js";

const ENDED = new Set(["completed", "failed"]);
const POLL_MS = 1500;

let timer = null;

/** Poll `draw` again while `active()` and the page still shows `route`. */
function again(route, active, draw) {
  clearTimeout(timer);
  if (!active()) return;
  timer = setTimeout(() => {
    if (location.hash.split("?")[0] === route) draw().catch(() => {});
  }, POLL_MS);
}

function inputLabel(input) {
  return input.filename || input.url || input.file_id || input.name;
}

function progress(execution) {
  if (ENDED.has(execution.status)) return null;
  return h("progress", { max: 100, value: execution.progress, "aria-label": "Progress" });
}

function executionRow(e) {
  return h(
    "tr",
    { dataset: { id: e.id, status: e.status } },
    h("td", {}, h("a", { href: `#/executions/${encodeURIComponent(e.id)}` }, e.name)),
    h("td", {}, statusBadge(e.status), " ", progress(e)),
    h(
      "td",
      { class: "exec-inputs" },
      e.inputs.map((i) => h("span", { class: "chip", title: inputLabel(i) }, `${i.kind || "file"} ${inputLabel(i)}`)),
    ),
    h("td", {}, String(e.artifacts.length)),
    h("td", { class: "subtle" }, when(e.created_at)),
  );
}

/** The list of executions. */
export async function executionsView(main) {
  const route = "#/executions";
  const table = h("tbody", {});
  const draw = async () => {
    const found = await api("/agent/executions?limit=100");
    if (!found.length) {
      fill(table, h("tr", {}, h("td", { colspan: 5 }, note("No executions yet: run one with `vidsense execute` or the API."))));
    } else {
      fill(table, found.map(executionRow));
    }
    again(route, () => found.some((e) => !ENDED.has(e.status)), draw);
  };
  fill(
    main,
    h(
      "div",
      { class: "page-head" },
      h("div", {}, h("h1", {}, "Executions"), h("p", { class: "subtle" }, "Skills run over files, as jobs: their status, inputs, answers and artifacts.")),
    ),
    h(
      "table",
      { class: "exec-table" },
      h("thead", {}, h("tr", {}, ["Name", "Status", "Inputs", "Artifacts", "Created"].map((c) => h("th", { scope: "col" }, c)))),
      table,
    ),
  );
  await draw();
}

function artifactView(a) {
  const at = a.time !== undefined ? clock(a.time, true) : a.start !== undefined ? `${clock(a.start, true)}–${clock(a.end, true)}` : "";
  const media = a.type === "image" ? h("img", { alt: `Frame ${a.id}`, loading: "lazy" }) : h("video", { controls: true, preload: "metadata" });
  if (a.url) setMediaSource(media, a.url);
  return h(
    "figure",
    { class: "artifact", dataset: { id: a.id } },
    media,
    h("figcaption", {}, h("code", {}, a.id), ` ${a.input}${at ? ` · ${at}` : ""}`),
  );
}

function skillLabel(s) {
  if (s.inline) return `${s.name} (inline)`;
  return `${s.skill_id} v${s.version}`;
}

/** One execution. */
export async function executionView(main, executionId) {
  const route = `#/executions/${encodeURIComponent(executionId)}`;
  const body = h("div", { class: "exec-detail" }, spinner());
  fill(
    main,
    h("p", {}, h("a", { href: "#/executions" }, "← Executions")),
    body,
  );
  const draw = async () => {
    const e = await api(`/agent/executions/${encodeURIComponent(executionId)}`);
    fill(
      body,
      h(
        "div",
        { class: "page-head" },
        h("div", {}, h("h1", {}, e.name), h("p", { class: "subtle" }, h("code", {}, e.id), ` · ${when(e.created_at)}`)),
        h("div", {}, statusBadge(e.status), " ", progress(e)),
      ),
      e.error ? note(`${e.error.message} [${e.error.code}]`, "error") : null,
      h("h2", {}, "Inputs"),
      h(
        "ul",
        { class: "exec-input-list" },
        e.inputs.map((i) =>
          h("li", {}, h("strong", {}, i.name), ` — ${i.kind || "file"}: ${inputLabel(i)}`, i.duration !== undefined ? ` (${clock(i.duration)})` : ""),
        ),
      ),
      e.skills.length ? [h("h2", {}, "Skills"), h("ul", {}, e.skills.map((s) => h("li", {}, skillLabel(s))))] : null,
      h("h2", {}, "Answer"),
      e.response ? h("pre", { class: "json-output" }, JSON.stringify(e.response, null, 2)) : note(ENDED.has(e.status) ? "No answer." : "Not done yet."),
      h("h2", {}, `Artifacts (${e.artifacts.length})`),
      e.artifacts.length ? h("div", { class: "artifact-grid" }, e.artifacts.map(artifactView)) : note("No frames or clips were made."),
    );
    again(route, () => !ENDED.has(e.status), draw);
  };
  await draw();
}
