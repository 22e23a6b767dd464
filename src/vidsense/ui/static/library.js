// The library: indexes in the sidebar, an index's videos, uploads with live progress.

import { api, listAll, setMediaSource, thumbnailUrl, uploadVideo } from "./api.js";
import { bytes, clock, fill, h, note, spinner, statusBadge, toast } from "./dom.js";

const FINAL = new Set(["ready", "failed"]);
const POLL_MS = 1000;

export const library = {
  indexes: [],
  videos: new Map(), // index id -> [video]
  current: null, // index id shown in the sidebar as open
};

/** Load indexes (and the open index's videos) and redraw the sidebar. */
export async function refreshLibrary() {
  library.indexes = await listAll("/indexes?sort_by=created_at&sort_option=asc");
  if (library.current && !library.indexes.some((i) => i._id === library.current)) {
    library.current = null;
  }
  if (library.current) await loadVideos(library.current);
  drawSidebar();
}

export async function loadVideos(indexId) {
  const videos = await listAll(`/indexes/${indexId}/videos`);
  library.videos.set(indexId, videos);
  return videos;
}

export function findIndex(indexId) {
  return library.indexes.find((i) => i._id === indexId);
}

export function findVideo(indexId, videoId) {
  return (library.videos.get(indexId) || []).find((v) => v._id === videoId);
}

export function videoTitle(video) {
  return video?.metadata?.filename || video?.system_metadata?.filename || video?._id || "video";
}

export function drawSidebar(activeVideo = null) {
  const list = document.getElementById("index-list");
  if (!library.indexes.length) {
    fill(list, note("No indexes yet. Create one above, then drop videos into it."));
    return;
  }
  fill(
    list,
    h(
      "ul",
      { class: "tree" },
      library.indexes.map((index) => {
        const open = index._id === library.current;
        const videos = open ? library.videos.get(index._id) || [] : [];
        return h(
          "li",
          { class: open ? "open" : "" },
          h(
            "a",
            {
              class: "tree-index",
              href: `#/indexes/${index._id}`,
              "aria-current": open && !activeVideo ? "page" : false,
            },
            h("span", { class: "tree-name" }, index.index_name),
            h("span", { class: "count" }, String(index.video_count)),
          ),
          open && videos.length
            ? h(
                "ul",
                { class: "tree-videos" },
                videos.map((v) =>
                  h(
                    "li",
                    {},
                    h(
                      "a",
                      {
                        href: `#/videos/${index._id}/${v._id}`,
                        "aria-current": v._id === activeVideo ? "page" : false,
                        title: videoTitle(v),
                      },
                      h("span", { class: `dot status-${v.status}`, "aria-hidden": "true" }),
                      h("span", { class: "tree-name" }, videoTitle(v)),
                    ),
                  ),
                ),
              )
            : null,
        );
      }),
    ),
  );
}

export function setupNewIndexForm(navigate) {
  const form = document.getElementById("new-index");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = form.elements.name;
    const name = input.value.trim();
    if (!name) return;
    try {
      const index = await api("/indexes", { method: "POST", json: { index_name: name } });
      input.value = "";
      library.current = index._id;
      await refreshLibrary();
      navigate(`#/indexes/${index._id}`);
      toast(`Index “${name}” created.`);
    } catch (err) {
      toast(err.message, "error");
    }
  });
}

// -- uploads and tasks -------------------------------------------------------------------------

/** Every upload or task this page is following, across views (id -> tracker). */
const trackers = new Map();
let trackerSeq = 0;

function trackerRow(t) {
  t.bar = h("div", { class: "bar-fill" });
  t.label = h("span", { class: "upload-state" });
  t.message = h("p", { class: "upload-message", role: "alert" });
  t.row = h(
    "li",
    { class: "upload", dataset: { tracker: t.id } },
    h(
      "div",
      { class: "upload-head" },
      h("span", { class: "upload-name", title: t.name }, t.name),
      t.label,
    ),
    h(
      "div",
      {
        class: "bar",
        role: "progressbar",
        "aria-label": `Progress of ${t.name}`,
        "aria-valuemin": "0",
        "aria-valuemax": "100",
      },
      t.bar,
    ),
    t.message,
  );
  paint(t);
  return t.row;
}

function paint(t) {
  if (!t.row) return;
  const pct = Math.round(t.progress * 100);
  t.bar.style.width = `${pct}%`;
  t.row.querySelector(".bar").setAttribute("aria-valuenow", String(pct));
  t.row.className = `upload stage-${t.stage}`;
  const labels = {
    uploading: `Uploading ${pct}%`,
    validating: "Validating",
    pending: "Queued for indexing",
    queued: "Queued for indexing",
    indexing: `Indexing ${pct}%`,
    ready: "Ready",
    failed: "Failed",
  };
  t.label.textContent = labels[t.stage] || t.stage;
  t.message.textContent = t.error || "";
  t.row.dataset.stage = t.stage;
}

function track(indexId, name, taskId = null) {
  const t = { id: `t${++trackerSeq}`, indexId, name, taskId, stage: "uploading", progress: 0 };
  trackers.set(t.id, t);
  return t;
}

async function follow(t, onChange) {
  // at least once: a task can be created already failed (the upload is not a video)
  for (let first = true; first || !FINAL.has(t.stage); first = false) {
    try {
      const task = await api(`/tasks/${t.taskId}`);
      t.stage = task.status;
      t.progress = task.status === "ready" ? 1 : (task.progress || 0) / 100;
      t.videoId = task.video_id;
      if (task.status === "failed") t.error = task.error?.message || "Indexing failed.";
    } catch (err) {
      t.stage = "failed";
      t.error = err.message;
    }
    paint(t);
    if (!FINAL.has(t.stage)) await new Promise((r) => setTimeout(r, POLL_MS));
  }
  onChange(t);
}

async function startUpload(indexId, file, onChange) {
  const t = track(indexId, file.name);
  onChange(t, true);
  try {
    const created = await uploadVideo(indexId, file, (fraction) => {
      t.progress = fraction;
      paint(t);
    });
    t.taskId = created._id;
    // A task refused at submission is painted failed by follow(), once its message is read.
    t.stage = created.status === "failed" ? "validating" : created.status || "pending";
    t.progress = 0;
    paint(t);
    if (created.duplicate) toast(`${file.name} is already in this index.`);
    await follow(t, onChange);
  } catch (err) {
    t.stage = "failed";
    t.error = err.message;
    paint(t);
    onChange(t);
  }
}

async function startUrl(indexId, url, onChange) {
  const t = track(indexId, url);
  t.stage = "validating";
  onChange(t, true);
  try {
    const created = await api("/tasks", {
      method: "POST",
      json: { index_id: indexId, video_url: url },
    });
    t.taskId = created._id;
    t.stage = created.status === "failed" ? "validating" : created.status || "pending";
    paint(t);
    await follow(t, onChange);
  } catch (err) {
    t.stage = "failed";
    t.error = err.message;
    paint(t);
    onChange(t);
  }
}

/** Tasks of this index that are still running on the server (started elsewhere, or before a
 * reload): follow them too. */
async function adoptRunningTasks(indexId, onChange) {
  let tasks = [];
  try {
    tasks = (await api(`/tasks?index_id=${indexId}&page_limit=50`)).data;
  } catch {
    return;
  }
  for (const task of tasks) {
    if (FINAL.has(task.status)) continue;
    if ([...trackers.values()].some((t) => t.taskId === task._id)) continue;
    const t = track(indexId, task.metadata?.filename || task.metadata?.url || task._id, task._id);
    t.stage = task.status;
    t.progress = (task.progress || 0) / 100;
    onChange(t, true);
    follow(t, onChange);
  }
}

// -- the index view ------------------------------------------------------------------------------

function videoCard(index, video) {
  const img = h("img", { alt: "", loading: "lazy", width: "320", height: "180" });
  if (video.status === "ready") setMediaSource(img, thumbnailUrl(index._id, video._id));
  else img.classList.add("placeholder");
  img.addEventListener("error", () => img.classList.add("placeholder"));
  const meta = video.metadata || {};
  return h(
    "li",
    {},
    h(
      "a",
      { class: "card video-card", href: `#/videos/${index._id}/${video._id}` },
      h(
        "div",
        { class: "thumb" },
        img,
        meta.duration ? h("span", { class: "duration" }, clock(meta.duration)) : null,
      ),
      h(
        "div",
        { class: "card-body" },
        h("span", { class: "card-title", title: videoTitle(video) }, videoTitle(video)),
        h(
          "span",
          { class: "card-meta" },
          statusBadge(video.status),
          meta.width ? ` ${meta.width}×${meta.height}` : "",
          meta.size ? ` · ${bytes(meta.size)}` : "",
        ),
      ),
    ),
  );
}

export async function indexView(main, indexId, navigate) {
  library.current = indexId;
  fill(main, spinner());
  await refreshLibrary();
  const index = findIndex(indexId);
  if (!index) {
    fill(main, note("This index does not exist (any more).", "error"));
    return;
  }
  const videos = library.videos.get(indexId) || [];
  const summary = h("p", { class: "subtle" });
  const drawSummary = () => {
    const now = findIndex(indexId) || index;
    fill(
      summary,
      `${now.video_count} video${now.video_count === 1 ? "" : "s"} · `,
      `${clock(now.total_duration)} in all · options: ${now.options.join(", ").replace(/_/g, " ")}`,
    );
  };
  drawSummary();
  const grid = h("ul", { class: "video-grid", "aria-label": "Videos" });
  const uploads = h("ul", { class: "uploads", "aria-label": "Uploads and indexing" });

  const drawVideos = () => {
    const list = library.videos.get(indexId) || [];
    if (!list.length) {
      fill(grid, h("li", { class: "grid-empty" }, note("No videos yet: drop one above.")));
    } else fill(grid, list.map((v) => videoCard(index, v)));
  };
  const onChange = async (t, added = false) => {
    if (added && main.isConnected) uploads.prepend(trackerRow(t));
    if (FINAL.has(t.stage) && main.isConnected && t.indexId === indexId) {
      if (t.stage === "ready") toast(`${t.name} is ready.`);
      await loadVideos(indexId);
      await refreshLibrary();
      drawVideos();
      drawSummary();
    }
  };

  const fileInput = h("input", {
    type: "file",
    accept: "video/*,.mp4,.mov,.mkv,.webm,.avi",
    multiple: true,
    class: "visually-hidden",
    id: "file-input",
    onchange: () => {
      for (const file of fileInput.files) startUpload(indexId, file, onChange);
      fileInput.value = "";
    },
  });
  const drop = h(
    "div",
    {
      class: "dropzone",
      tabindex: "0",
      role: "button",
      "aria-label": "Upload videos: drop files here or press Enter to choose files",
      onclick: () => fileInput.click(),
      onkeydown: (e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          fileInput.click();
        }
      },
      ondragover: (e) => {
        e.preventDefault();
        drop.classList.add("over");
      },
      ondragleave: () => drop.classList.remove("over"),
      ondrop: (e) => {
        e.preventDefault();
        drop.classList.remove("over");
        for (const file of e.dataTransfer.files) startUpload(indexId, file, onChange);
        const text = e.dataTransfer.getData("text/uri-list") || e.dataTransfer.getData("text");
        if (!e.dataTransfer.files.length && /^https?:\/\//.test(text)) {
          startUrl(indexId, text.trim(), onChange);
        }
      },
    },
    h("strong", {}, "Drop videos here"),
    h("span", {}, " or click to choose files"),
  );
  const urlForm = h(
    "form",
    {
      class: "url-form",
      onsubmit: (e) => {
        e.preventDefault();
        const url = urlForm.elements.url.value.trim();
        if (!url) return;
        urlForm.elements.url.value = "";
        startUrl(indexId, url, onChange);
      },
    },
    h("label", { for: "url-input", class: "visually-hidden" }, "Video URL"),
    h("input", {
      id: "url-input",
      name: "url",
      type: "url",
      placeholder: "…or paste a video URL (https://…)",
      autocomplete: "off",
    }),
    h("button", { type: "submit", class: "btn" }, "Add URL"),
  );

  const remove = async () => {
    if (!confirm(`Delete the index “${index.index_name}” and its ${index.video_count} videos?`)) {
      return;
    }
    try {
      await api(`/indexes/${indexId}`, { method: "DELETE" });
      library.current = null;
      toast(`Index “${index.index_name}” deleted.`);
      await refreshLibrary();
      navigate("#/");
    } catch (err) {
      toast(err.message, "error");
    }
  };

  fill(
    main,
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        h("h1", {}, index.index_name),
        summary,
      ),
      h(
        "div",
        { class: "actions" },
        h("a", { class: "btn", href: `#/search?index=${indexId}` }, "Search"),
        h("a", { class: "btn", href: `#/chat/${indexId}` }, "Chat"),
        h("button", { type: "button", class: "btn btn-danger", onclick: remove }, "Delete index"),
      ),
    ),
    h("section", { class: "upload-area", "aria-label": "Add videos" }, drop, fileInput, urlForm),
    uploads,
    h("h2", { class: "section-title" }, "Videos"),
    grid,
  );
  for (const t of trackers.values()) {
    if (t.indexId === indexId) uploads.append(trackerRow(t));
  }
  drawVideos();
  adoptRunningTasks(indexId, onChange);
}

export function welcomeView(main) {
  fill(
    main,
    h(
      "section",
      { class: "welcome" },
      h("h1", {}, "Welcome to vidsense"),
      h(
        "p",
        {},
        "Create an index in the left column, drop videos into it, and vidsense finds the shots, ",
        "the words spoken, the text on screen and the sounds — then you can search them, ",
        "read chapters and ask questions about them.",
      ),
      h(
        "button",
        {
          type: "button",
          class: "btn btn-primary",
          onclick: () => document.getElementById("new-index-name").focus(),
        },
        "Create an index",
      ),
    ),
  );
}
