// vidsense web UI: hash routes over the library, search and chat views.
//   #/                      the first index (or a welcome page)
//   #/indexes/ID            an index: upload, videos
//   #/videos/INDEX/VIDEO    a video (?t=SECONDS&play=1 to start at a moment, ?tab=chapters)
//   #/search?index=ID&q=…   search
//   #/chat/INDEX            chat with an index
//   #/executions[/ID]       executions (skills run over files) and one execution

import { ApiError, apiKey, onKeyNeeded, setApiKey } from "./api.js";
import { chatPanel } from "./chat.js";
import { fill, h, note, spinner } from "./dom.js";
import { executionView, executionsView } from "./executions.js";
import {
  drawSidebar,
  findIndex,
  indexView,
  library,
  refreshLibrary,
  setupNewIndexForm,
  welcomeView,
} from "./library.js";
import { searchView } from "./search.js";
import { videoView } from "./video.js";

const main = document.getElementById("main");

function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function markSection(section) {
  for (const a of document.querySelectorAll(".topnav a")) {
    if (a.dataset.section === section) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

async function chatView(indexId) {
  await refreshLibrary();
  const index = indexId ? findIndex(indexId) : library.indexes.find((i) => i._id === library.current) || library.indexes[0];
  if (!index) {
    fill(main, h("h1", {}, "Chat"), note("Create an index and add videos first."));
    return;
  }
  library.current = index._id;
  drawSidebar();
  const picker = h(
    "select",
    { "aria-label": "Index to chat with", onchange: (e) => navigate(`#/chat/${e.target.value}`) },
    library.indexes.map((i) => h("option", { value: i._id, selected: i._id === index._id }, i.index_name)),
  );
  fill(
    main,
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, "Chat"), h("p", { class: "subtle" }, "Questions about every video of an index.")), picker),
    h("div", { class: "chat-page" }, chatPanel({ indexId: index._id, title: index.index_name })),
  );
}

let routing = 0;
async function route() {
  const ticket = ++routing;
  const path = location.hash.replace(/^#/, "").split("?")[0] || "/";
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  fill(main, spinner());
  try {
    if (parts[0] === "indexes" && parts[1]) {
      markSection("library");
      await indexView(main, parts[1], navigate);
    } else if (parts[0] === "videos" && parts[2]) {
      markSection("library");
      await videoView(main, parts[1], parts[2]);
    } else if (parts[0] === "search") {
      markSection("search");
      await searchView(main);
    } else if (parts[0] === "chat") {
      markSection("chat");
      await chatView(parts[1]);
    } else if (parts[0] === "executions") {
      markSection("executions");
      if (parts[1]) await executionView(main, parts[1]);
      else await executionsView(main);
    } else {
      markSection("library");
      await refreshLibrary();
      const first = library.indexes.find((i) => i._id === library.current) || library.indexes[0];
      if (first) navigate(`#/indexes/${first._id}`);
      else welcomeView(main);
    }
  } catch (err) {
    if (ticket !== routing) return;
    const message = err instanceof ApiError && err.status === 401
      ? "This server needs an API key. Use the “API key” button at the top to enter it."
      : err.message;
    fill(main, note(message, "error"));
  }
  if (ticket === routing) document.title = `${main.querySelector("h1")?.textContent || "vidsense"} · vidsense`;
}

// -- API key dialog --------------------------------------------------------------------------

const dialog = document.getElementById("key-dialog");
const keyButton = document.getElementById("key-button");
let pending = null;

function askKey(reason) {
  if (pending) return pending;
  pending = new Promise((resolve) => {
    const form = document.getElementById("key-form");
    const input = document.getElementById("key-input");
    document.getElementById("key-error").textContent = apiKey() && reason ? reason : "";
    input.value = "";
    const done = () => {
      dialog.removeEventListener("close", done);
      pending = null;
      const key = dialog.returnValue === "save" ? input.value.trim() : "";
      keyButton.hidden = false; // the server wants a key: keep a way to enter or change it
      resolve(key || null);
    };
    dialog.addEventListener("close", done);
    dialog.returnValue = "";
    form.onsubmit = () => {
      dialog.returnValue = "save";
    };
    dialog.showModal();
    input.focus();
  });
  return pending;
}

onKeyNeeded(askKey);
keyButton.hidden = !apiKey();
keyButton.addEventListener("click", async () => {
  const key = await askKey("");
  if (key) {
    setApiKey(key);
    route();
  }
});
document.getElementById("key-forget").addEventListener("click", () => {
  setApiKey("");
  dialog.close("");
});

// -- start ------------------------------------------------------------------------------------

fetch("/health")
  .then((r) => r.json())
  .then((info) => {
    document.getElementById("server-info").textContent = `v${info.version} · ${info.workers} worker${info.workers === 1 ? "" : "s"}`;
  })
  .catch(() => {});
setupNewIndexForm(navigate);
window.addEventListener("hashchange", route);
route();
