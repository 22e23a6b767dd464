// The "Make" tab of a video page: a highlight reel, subtitles or a vertical version, made by
// the server (POST /v1/edits/{name}), followed while it renders (GET /v1/renders/{id}), then
// played and offered for download (GET /v1/renders/{id}/content, signed when a key is set).

import { api, mediaUrl, setMediaSource } from "./api.js";
import { clock, h, note } from "./dom.js";

const POLL_MS = 500;

const EDITS = [
  {
    name: "reel",
    title: "Highlight reel",
    about: "The best moments in order, crossfaded, no sentence cut.",
    fields: [
      { id: "seconds", label: "Length (s)", type: "number", value: 20, min: 2, max: 600, step: 1 },
      { id: "subtitles", label: "Subtitles", options: [["burn", "burned in"], ["track", "as a track"], ["none", "none"]] },
    ],
    params: (v) => ({ seconds: Number(v.seconds), subtitles: v.subtitles }),
  },
  {
    name: "subtitles",
    title: "Subtitles",
    about: "What is said, as subtitles over the whole video.",
    fields: [{ id: "mode", label: "Subtitles", options: [["burn", "burned in"], ["track", "as a track"]] }],
    params: (v) => ({ mode: v.mode }),
  },
  {
    name: "reframe",
    title: "Vertical version",
    about: "Cropped for phones, following faces, on-screen text and motion.",
    fields: [{ id: "aspect", label: "Shape", options: [["9:16", "9:16 vertical"], ["1:1", "1:1 square"], ["4:5", "4:5 portrait"]] }],
    params: (v) => ({ aspect: v.aspect }),
  },
];

function field(edit, f) {
  const id = `edit-${edit.name}-${f.id}`;
  const input = f.options
    ? h("select", { id, name: f.id }, f.options.map(([value, label]) => h("option", { value }, label)))
    : h("input", { id, name: f.id, type: f.type, value: String(f.value), min: f.min, max: f.max, step: f.step });
  return h("label", { class: "edit-field", for: id }, h("span", {}, f.label), input);
}

/** One finished or running render: a progress bar, then the player and a download link. */
function renderCard(edit, render) {
  const bar = h("progress", { max: 100, value: 0, "aria-label": `${edit.title}: progress` });
  const status = h("span", { class: "subtle", role: "status" }, "Queued");
  const card = h(
    "li",
    { class: "render-card", dataset: { render: render.id, edit: edit.name } },
    h("div", { class: "render-head" }, h("strong", {}, edit.title), status),
    bar,
  );
  const follow = async () => {
    let current = render;
    while (current.status !== "completed" && current.status !== "failed") {
      await new Promise((r) => setTimeout(r, POLL_MS));
      current = await api(`/renders/${render.id}`);
      bar.value = current.progress;
      status.textContent = current.status === "running" ? `${current.progress}%` : "Queued";
    }
    card.dataset.status = current.status;
    if (current.status === "failed") {
      bar.remove();
      status.textContent = "Failed";
      card.append(note(current.error ? current.error.message : "The render failed.", "error"));
      return;
    }
    bar.value = 100;
    bar.hidden = true;
    const out = current.output;
    status.textContent = `${clock(out.duration, true)} · ${out.width}×${out.height}`;
    const player = h("video", { class: "render-player", controls: true, preload: "metadata", playsinline: true, "aria-label": `${edit.title} result` });
    setMediaSource(player, current.content_url);
    const link = h("a", { class: "btn", download: `${edit.name}-${render.id.slice(-6)}.${out.container}` }, "Download");
    mediaUrl(current.content_url).then((url) => {
      link.href = url;
    });
    card.append(player, h("div", { class: "render-actions" }, link));
  };
  follow().catch((err) => {
    card.dataset.status = "failed";
    card.append(note(err.message, "error"));
  });
  return card;
}

/** The panel: a small form per edit and the list of what was made here. */
export function editsPanel({ videoId }) {
  const results = h("ul", { class: "render-list", "aria-label": "Made from this video" });
  const forms = EDITS.map((edit) => {
    const error = h("p", { class: "note error", hidden: true });
    const form = h(
      "form",
      {
        class: "edit-form",
        "aria-label": edit.title,
        onsubmit: async (e) => {
          e.preventDefault();
          error.hidden = true;
          const values = Object.fromEntries(new FormData(form).entries());
          const button = form.querySelector("button");
          button.disabled = true;
          try {
            const render = await api(`/edits/${edit.name}`, { method: "POST", json: { video_id: videoId, ...edit.params(values) } });
            results.prepend(renderCard(edit, render));
          } catch (err) {
            error.textContent = err.message;
            error.hidden = false;
          } finally {
            button.disabled = false;
          }
        },
      },
      h("div", { class: "edit-title" }, h("strong", {}, edit.title), h("span", { class: "subtle" }, edit.about)),
      h("div", { class: "edit-fields" }, edit.fields.map((f) => field(edit, f)), h("button", { type: "submit", class: "btn btn-primary" }, "Make")),
      error,
    );
    return form;
  });
  return h("div", { class: "edits" }, forms, results);
}
