// Search: a query over one index with modality toggles; results grouped by video, each moment
// with its thumbnail, time, score/confidence and what matched. A click plays that moment.

import { api, setMediaSource } from "./api.js";
import { clock, fill, h, hashQuery, note, spinner } from "./dom.js";
import { drawSidebar, library, loadVideos, refreshLibrary, videoTitle } from "./library.js";

const OPTIONS = [
  ["visual", "Visual"],
  ["conversation", "Conversation"],
  ["text_in_video", "Text in video"],
  ["logo", "Logo"],
];
const chosen = new Set(["visual", "conversation", "text_in_video"]);

function matched(clip) {
  const parts = (clip.metadata || [])
    .filter((m) => m.text)
    .map((m) => h("span", { class: "match" }, h("span", { class: "match-kind" }, m.type.replace(/_/g, " ")), m.text));
  if (!parts.length && clip.transcription) parts.push(h("span", { class: "match" }, clip.transcription));
  return parts;
}

function hitCard(indexId, clip) {
  const img = h("img", { alt: "", loading: "lazy", width: "240", height: "135" });
  if (clip.thumbnail_url) setMediaSource(img, clip.thumbnail_url);
  img.addEventListener("error", () => img.classList.add("placeholder"));
  const href = `#/videos/${indexId}/${clip.video_id}?t=${clip.start.toFixed(3)}&play=1`;
  return h(
    "li",
    {},
    h(
      "a",
      {
        class: "card hit",
        href,
        dataset: { start: String(clip.start), videoId: clip.video_id },
        "aria-label": `Play from ${clock(clip.start)}`,
      },
      h("div", { class: "thumb" }, img, h("span", { class: "duration" }, `${clock(clip.start)}–${clock(clip.end)}`)),
      h(
        "div",
        { class: "card-body" },
        h(
          "span",
          { class: "card-meta" },
          h("span", { class: `badge conf-${clip.confidence}` }, clip.confidence),
          h("span", { class: "score" }, `score ${Math.round(clip.score)}`),
          clip.rank ? h("span", { class: "rank" }, `#${clip.rank}`) : null,
        ),
        h("span", { class: "matched" }, matched(clip)),
      ),
    ),
  );
}

function moments(groups) {
  return groups.reduce((n, g) => n + g.clips.length, 0);
}

function groupsOf(data) {
  // group_by=video answers [{id, clips}]; clip answers are grouped here by video
  const groups = [];
  const byId = new Map();
  for (const item of data) {
    const clips = item.clips || [item];
    const id = item.clips ? item.id : item.video_id;
    if (!byId.has(id)) {
      byId.set(id, { id, clips: [] });
      groups.push(byId.get(id));
    }
    byId.get(id).clips.push(...clips);
  }
  return groups;
}

export async function searchView(main) {
  fill(main, spinner());
  await refreshLibrary();
  const q = hashQuery();
  const indexes = library.indexes;
  if (!indexes.length) {
    fill(main, h("h1", {}, "Search"), note("Create an index and add videos first."));
    return;
  }
  const indexId = q.index && indexes.some((i) => i._id === q.index) ? q.index : library.current || indexes[0]._id;
  library.current = indexId;
  drawSidebar();
  await loadVideos(indexId);

  const select = h(
    "select",
    { id: "search-index", name: "index" },
    indexes.map((i) => h("option", { value: i._id, selected: i._id === indexId }, i.index_name)),
  );
  const input = h("input", {
    id: "search-query",
    name: "query",
    type: "search",
    placeholder: "Describe a moment — “someone talks about the harbor”",
    value: q.q || "",
    autocomplete: "off",
  });
  const toggles = h(
    "fieldset",
    { class: "toggles" },
    h("legend", { class: "visually-hidden" }, "Look in"),
    OPTIONS.map(([value, label]) =>
      h(
        "label",
        { class: "toggle" },
        h("input", {
          type: "checkbox",
          name: "option",
          value,
          checked: chosen.has(value),
          onchange: (e) => (e.target.checked ? chosen.add(value) : chosen.delete(value)),
        }),
        h("span", {}, label),
      ),
    ),
  );
  const results = h("div", { class: "results", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "search-form", role: "search", onsubmit: (e) => (e.preventDefault(), run()) },
    h("div", { class: "search-row" }, h("label", { for: "search-index", class: "visually-hidden" }, "Index"), select,
      h("label", { for: "search-query", class: "visually-hidden" }, "Query"), input,
      h("button", { type: "submit", class: "btn btn-primary" }, "Search")),
    toggles,
  );

  let shown = [];
  async function show(page, append) {
    const id = page.search_pool?.index_id || select.value;
    shown = append ? shown.concat(page.data) : page.data;
    const groups = groupsOf(shown);
    if (!groups.length) {
      fill(results, note("Nothing matched. Try other words, or turn on more toggles."));
      return;
    }
    const videos = library.videos.get(id) || [];
    const name = (vid) => videoTitle(videos.find((v) => v._id === vid)) || vid;
    fill(
      results,
      h("p", { class: "subtle" }, `${moments(groups)} moment${moments(groups) === 1 ? "" : "s"} in ${groups.length} video${groups.length === 1 ? "" : "s"}`,
        page.visual_evidence ? ` · visual: ${page.visual_evidence}` : ""),
      groups.map((g) =>
        h(
          "section",
          { class: "result-group", dataset: { videoId: g.id } },
          h("h2", {}, h("a", { href: `#/videos/${id}/${g.id}` }, name(g.id)), h("span", { class: "count" }, String(g.clips.length))),
          h("ul", { class: "hit-grid" }, g.clips.map((c) => hitCard(id, c))),
        ),
      ),
      page.page_info?.next_page_token
        ? h("button", { type: "button", class: "btn more", onclick: async () => {
            try {
              show(await api(`/search/${page.page_info.next_page_token}`), true);
            } catch (err) {
              results.append(note(err.message, "error"));
            }
          } }, "More results")
        : null,
    );
  }

  async function run() {
    const query = input.value.trim();
    if (!query) {
      input.focus();
      return;
    }
    if (!chosen.size) {
      fill(results, note("Turn on at least one of the toggles.", "error"));
      return;
    }
    const id = select.value;
    history.replaceState(null, "", `#/search?index=${id}&q=${encodeURIComponent(query)}`);
    fill(results, spinner("Searching"));
    try {
      await loadVideos(id);
      const page = await api("/search", {
        method: "POST",
        json: {
          index_id: id,
          query,
          search_options: [...chosen],
          group_by: "video",
          threshold: "low",
          page_limit: 20,
        },
      });
      await show(page, false);
    } catch (err) {
      fill(results, note(err.message, "error"));
    }
  }

  fill(main, h("div", { class: "page-head" }, h("h1", {}, "Search")), form, results);
  if (q.q) run();
  else input.focus();
}
