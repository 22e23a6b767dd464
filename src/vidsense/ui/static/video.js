// The video page: player, shot strip, gist, and tabs for transcript, on-screen text,
// chapters, highlights and chat. Everything with a time seeks the player when clicked.

import { api, ApiError, setMediaSource, streamUrl, thumbnailUrl } from "./api.js";
import { chatPanel } from "./chat.js";
import { editsPanel } from "./edits.js";
import { bytes, clock, fill, h, hashQuery, note, spinner, statusBadge, when } from "./dom.js";
import { drawSidebar, findIndex, library, loadVideos, refreshLibrary, videoTitle } from "./library.js";

function explain(err, what) {
  if (err instanceof ApiError && err.unavailable) {
    return note(`${what} are not available on this server yet.`, "unavailable");
  }
  return note(err.message, "error");
}

/** A list of timed items that seek the player; the one playing is highlighted. */
function timedList(player, items, render, label) {
  const rows = items.map((item) => {
    const button = h(
      "button",
      {
        type: "button",
        class: "timed",
        dataset: { start: String(item.start) },
        onclick: () => seek(player, item.start, true),
      },
      h("span", { class: "time" }, clock(item.start)),
      h("span", { class: "timed-body" }, render(item)),
    );
    return { item, button };
  });
  const list = h("ol", { class: "timed-list", "aria-label": label }, rows.map((r) => h("li", {}, r.button)));
  player.addEventListener("timeupdate", () => {
    const t = player.currentTime;
    for (const { item, button } of rows) {
      button.classList.toggle("current", t >= item.start && t < item.end);
    }
  });
  return list;
}

export function seek(player, time, play = false) {
  const go = () => {
    player.currentTime = Math.max(0, Number(time) || 0);
    if (play) player.play().catch(() => {});
  };
  if (player.readyState >= 1) go();
  else player.addEventListener("loadedmetadata", go, { once: true });
}

async function loadPanel(panel, load) {
  fill(panel, spinner());
  try {
    fill(panel, await load());
  } catch (err) {
    fill(panel, explain(err, panel.dataset.what));
  }
}

export async function videoView(main, indexId, videoId) {
  library.current = indexId;
  fill(main, spinner());
  if (!findIndex(indexId)) await refreshLibrary();
  await loadVideos(indexId);
  drawSidebar(videoId);
  let video;
  try {
    video = await api(`/indexes/${indexId}/videos/${videoId}`);
  } catch (err) {
    fill(main, note(err.message, "error"));
    return;
  }
  const index = findIndex(indexId);
  const meta = video.metadata || {};
  const base = `/indexes/${indexId}/videos/${videoId}`;

  const player = h("video", {
    class: "player",
    controls: true,
    preload: "metadata",
    playsinline: true,
    "aria-label": `Player: ${videoTitle(video)}`,
  });
  setMediaSource(player, streamUrl(indexId, videoId));
  const poster = thumbnailUrl(indexId, videoId);
  if (video.status === "ready") {
    const img = new Image();
    img.onload = () => {
      if (!player.poster && !player.currentTime) player.poster = img.src;
    };
    setMediaSource(img, poster);
  }

  // shots
  const shots = h("div", { class: "shot-strip", role: "list", "aria-label": "Shots" });
  api(`${base}/shots`)
    .then(({ data }) => {
      if (!data.length) {
        fill(shots, note("No shots yet."));
        return;
      }
      const buttons = data.map((shot) => {
        const img = h("img", { alt: "", loading: "lazy", width: "128", height: "72" });
        // A shot that began with a dissolve or fade starts at its middle: its picture is the
        // first frame after the transition, not a blend of two shots.
        const gradual = shot.transition === "dissolve" || shot.transition === "fade";
        const clear = gradual && shot.transition_end != null ? shot.transition_end : shot.start;
        setMediaSource(img, thumbnailUrl(indexId, videoId, Math.min(clear + 0.05, shot.end)));
        const began = gradual ? `, after a ${shot.transition}` : "";
        const label = `Shot ${shot.index + 1}, ${clock(shot.start)} to ${clock(shot.end)}${began}`;
        return h(
          "button",
          {
            type: "button",
            class: "shot",
            role: "listitem",
            dataset: { start: String(shot.start), end: String(shot.end) },
            "aria-label": label,
            title: label,
            onclick: () => seek(player, shot.start, true),
          },
          img,
          h("span", { class: "time" }, clock(shot.start)),
        );
      });
      fill(shots, buttons);
      player.addEventListener("timeupdate", () => {
        const t = player.currentTime;
        for (const b of buttons) {
          b.classList.toggle("current", t >= +b.dataset.start && t < +b.dataset.end);
        }
      });
    })
    .catch((err) => fill(shots, explain(err, "Shots")));

  // gist
  const gist = h("section", { class: "gist", "aria-label": "Gist" }, spinner("Reading the gist"));
  api("/gist", { method: "POST", json: { video_id: videoId, types: ["title", "topic", "hashtag"] } })
    .then((g) => {
      fill(
        gist,
        g.title ? h("h2", { class: "gist-title" }, g.title) : null,
        (g.topics || []).length
          ? h("div", { class: "chips" }, h("span", { class: "chip-label" }, "Topics"), g.topics.map((t) => h("span", { class: "chip" }, t)))
          : null,
        (g.hashtags || []).length
          ? h("div", { class: "chips" }, g.hashtags.map((t) => h("span", { class: "chip tag" }, t.startsWith("#") ? t : `#${t}`)))
          : null,
      );
    })
    .catch((err) => {
      if (err instanceof ApiError && err.unavailable) gist.remove();
      else fill(gist, note(err.message, "error"));
    });

  // tabs
  const tabs = [
    {
      id: "transcript",
      label: "Transcript",
      what: "Transcripts",
      load: async () => {
        const { data } = await api(`${base}/transcription`);
        if (!data.length) return note("Nothing was said in this video (or it is not indexed yet).");
        return timedList(player, data, (line) => line.value, "Transcript");
      },
    },
    {
      id: "text",
      label: "Text",
      aria: "On-screen text",
      what: "On-screen text sightings",
      load: async () => {
        const { data } = await api(`${base}/text-in-video`);
        if (!data.length) return note("No text was seen on screen.");
        return timedList(
          player,
          data,
          (s) => [h("span", { class: "sighting" }, s.value), h("span", { class: "range" }, ` until ${clock(s.end)}`)],
          "On-screen text",
        );
      },
    },
    {
      id: "chapters",
      label: "Chapters",
      what: "Chapters",
      load: async () => {
        const { chapters = [] } = await api("/summarize", { method: "POST", json: { video_id: videoId, type: "chapter" } });
        if (!chapters.length) return note("No chapters were found.");
        return timedList(
          player,
          chapters,
          (c) => [
            h("strong", { class: "item-title" }, c.chapter_title || `Chapter ${c.chapter_number + 1}`),
            c.chapter_summary ? h("span", { class: "item-text" }, c.chapter_summary) : null,
          ],
          "Chapters",
        );
      },
    },
    {
      id: "highlights",
      label: "Highlights",
      what: "Highlights",
      load: async () => {
        const { highlights = [] } = await api("/summarize", { method: "POST", json: { video_id: videoId, type: "highlight" } });
        if (!highlights.length) return note("No highlights were found.");
        return timedList(
          player,
          highlights,
          (x) => [
            h("strong", { class: "item-title" }, x.highlight),
            x.highlight_summary ? h("span", { class: "item-text" }, x.highlight_summary) : null,
          ],
          "Highlights",
        );
      },
    },
    {
      id: "chat",
      label: "Chat",
      what: "Chat",
      load: async () => chatPanel({ indexId, videoId, title: videoTitle(video) }),
    },
    {
      id: "make",
      label: "Make",
      aria: "Make a reel, subtitles or a vertical version",
      what: "Edits",
      load: async () => editsPanel({ videoId }),
    },
  ];
  const tabList = h("div", { class: "tabs", role: "tablist", "aria-label": "About this video" });
  const panels = h("div", { class: "tab-panels" });
  const buttons = [];
  const select = (i, focus = false) => {
    buttons.forEach((b, j) => {
      const on = i === j;
      b.setAttribute("aria-selected", String(on));
      b.tabIndex = on ? 0 : -1;
      tabs[j].panel.hidden = !on;
    });
    if (focus) buttons[i].focus();
    const tab = tabs[i];
    if (!tab.loaded) {
      tab.loaded = true;
      loadPanel(tab.panel, tab.load);
    }
  };
  tabs.forEach((tab, i) => {
    const button = h(
      "button",
      {
        type: "button",
        role: "tab",
        id: `tab-${tab.id}`,
        "aria-controls": `panel-${tab.id}`,
        "aria-label": tab.aria,
        title: tab.aria,
        onclick: () => select(i),
        onkeydown: (e) => {
          const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
          if (step) select((i + step + tabs.length) % tabs.length, true);
        },
      },
      tab.label,
    );
    buttons.push(button);
    tab.panel = h("div", {
      class: "tab-panel",
      role: "tabpanel",
      id: `panel-${tab.id}`,
      "aria-labelledby": `tab-${tab.id}`,
      dataset: { what: tab.what },
      hidden: true,
    });
    tabList.append(button);
    panels.append(tab.panel);
  });

  fill(
    main,
    h(
      "nav",
      { class: "crumbs", "aria-label": "Breadcrumb" },
      h("a", { href: `#/indexes/${indexId}` }, index?.index_name || "Index"),
      h("span", { "aria-hidden": "true" }, " › "),
      h("span", { "aria-current": "page" }, videoTitle(video)),
    ),
    h(
      "div",
      { class: "video-page" },
      h(
        "div",
        { class: "video-player" },
        player,
        h(
          "p",
          { class: "subtle video-facts" },
          statusBadge(video.status),
          ` ${clock(meta.duration)} · ${meta.width}×${meta.height} · ${Math.round(meta.fps || 0)} fps · ${bytes(meta.size)}`,
          video.indexed_at ? ` · indexed ${when(video.indexed_at)}` : "",
        ),
      ),
      h("aside", { class: "video-side", "aria-label": "Transcript, text, chapters, chat and edits" }, tabList, panels),
      h("section", { class: "video-shots", "aria-label": "Shots" }, h("h2", { class: "section-title" }, "Shots"), shots),
      gist,
    ),
  );
  const wanted = tabs.findIndex((t) => t.id === hashQuery().tab);
  select(wanted >= 0 ? wanted : 0);
  applyTime(player);
  return player;
}

/** Seek to `?t=` of the route (and play with `play=1`). */
export function applyTime(player) {
  const q = hashQuery();
  if (q.t !== undefined) seek(player, parseFloat(q.t), q.play === "1");
}
