// Chat with a video or an index, over POST /v1/chat/completions with `stream: true`.
// Answers render as light markdown; links to frames (.jpg, .png) show as images, links to clips
// (.mp4, .webm) as players, JSON answers pretty-printed; `artifacts` on a message render too.

import { ApiError, setMediaSource, streamChat, streamUrl } from "./api.js";
import { fill, h, note } from "./dom.js";

const IMAGE = /\.(jpe?g|png|webp|gif)(\?.*)?$/i;
const CLIP = /\.(mp4|webm|mov|m4v)(\?.*)?$/i;

/** Media element for a URL (image or clip), or null when it is neither. */
function mediaFor(url, label = "") {
  if (IMAGE.test(url)) {
    const img = h("img", { class: "artifact", alt: label || "frame", loading: "lazy" });
    setMediaSource(img, url);
    return img;
  }
  if (CLIP.test(url)) {
    const video = h("video", { class: "artifact", controls: true, preload: "metadata" });
    setMediaSource(video, url);
    return video;
  }
  return null;
}

function inline(text) {
  // links [label](url), bare URLs, **bold** and `code`, as DOM nodes (never innerHTML)
  const nodes = [];
  const media = [];
  const pattern =
    /(!?)\[([^\]]*)\]\(([^)\s]+)\)|(https?:\/\/[^\s)]+|\/v1\/[^\s)]*)|\*\*([^*]+)\*\*|`([^`]+)`/g;
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    nodes.push(text.slice(last, m.index));
    last = m.index + m[0].length;
    const url = m[3] || m[4];
    if (url) {
      const found = mediaFor(url, m[2]);
      if (found) media.push(found);
      // ![alt](frame.jpg) is the picture alone; other links stay links (media shown below)
      if (!(m[1] && found)) {
        nodes.push(h("a", { href: url, target: "_blank", rel: "noopener" }, m[2] || url));
      }
    } else if (m[5]) nodes.push(h("strong", {}, m[5]));
    else if (m[6]) nodes.push(h("code", {}, m[6]));
  }
  nodes.push(text.slice(last));
  return { nodes, media };
}

function prettyJson(text) {
  const trimmed = text.trim();
  if (!/^[[{]/.test(trimmed)) return null;
  try {
    return JSON.stringify(JSON.parse(trimmed), null, 2);
  } catch {
    return null;
  }
}

/** Render an answer's text: JSON pretty-printed, ``` fences as code, paragraphs and lists. */
export function renderAnswer(text) {
  const json = prettyJson(text);
  if (json) return [h("pre", { class: "json" }, h("code", {}, json))];
  const out = [];
  const parts = text.split(/```[a-zA-Z]*\n?/);
  parts.forEach((part, i) => {
    if (i % 2 === 1) {
      out.push(h("pre", {}, h("code", {}, prettyJson(part) || part.replace(/\n$/, ""))));
      return;
    }
    for (const block of part.split(/\n{2,}/)) {
      if (!block.trim()) continue;
      const lines = block.split("\n");
      const isList = lines.every((l) => /^\s*([-*]|\d+\.)\s+/.test(l) || !l.trim());
      if (isList) {
        const media = [];
        const ul = h(
          "ul",
          {},
          lines
            .filter((l) => l.trim())
            .map((l) => {
              const r = inline(l.replace(/^\s*([-*]|\d+\.)\s+/, ""));
              media.push(...r.media);
              return h("li", {}, r.nodes);
            }),
        );
        out.push(ul, ...media);
      } else {
        const r = inline(block);
        out.push(h("p", {}, r.nodes), ...r.media);
      }
    }
  });
  return out;
}

function artifactNodes(artifacts) {
  return (artifacts || [])
    .map((a) => {
      const url = a.url || a.uri;
      if (!url) return null;
      if (a.type === "image") {
        const img = h("img", { class: "artifact", alt: a.id || "frame" });
        setMediaSource(img, url);
        return img;
      }
      if (a.type === "video") {
        const video = h("video", { class: "artifact", controls: true, preload: "metadata" });
        setMediaSource(video, url);
        return video;
      }
      return mediaFor(url, a.id) || h("a", { href: url, target: "_blank" }, a.id || url);
    })
    .filter(Boolean);
}

/**
 * A chat panel. `context`: {indexId, videoId?, title}. With a video, the first question carries
 * the video's stream URL as a `video_url` part; `metadata` names the video or index.
 */
export function chatPanel(context) {
  const history = [];
  const log = h("div", { class: "chat-log", role: "log", "aria-live": "polite" });
  const input = h("textarea", {
    name: "question",
    rows: "2",
    placeholder: context.videoId
      ? "Ask about this video — e.g. “What is said about pricing?”"
      : "Ask about the videos in this index",
    "aria-label": "Your question",
  });
  const send = h("button", { type: "submit", class: "btn btn-primary" }, "Send");
  let controller = null;

  const intro = note(
    context.videoId
      ? "Answers cite the moments they come from; frames and clips show inline."
      : `Ask across every video in “${context.title}”.`,
    "chat-intro",
  );
  log.append(intro);

  function bubble(role, children) {
    const el = h("div", { class: `msg msg-${role}` }, h("div", { class: "msg-body" }, children));
    log.append(el);
    log.scrollTop = log.scrollHeight;
    return el;
  }

  async function ask(question) {
    const content = [{ type: "text", text: question }];
    if (context.videoId && !history.length) {
      const url = new URL(streamUrl(context.indexId, context.videoId), location.href).href;
      content.push({ type: "video_url", video_url: { url } });
    }
    history.push({ role: "user", content });
    bubble("user", question);
    const answer = bubble("assistant", h("span", { class: "typing" }, "…"));
    answer.classList.add("streaming");
    const body = answer.querySelector(".msg-body");
    let text = "";
    let artifacts = [];
    let failure = null;
    send.disabled = true;
    controller = new AbortController();
    const redraw = () => {
      fill(body, renderAnswer(text), artifactNodes(artifacts));
      log.scrollTop = log.scrollHeight;
    };
    try {
      await streamChat(
        {
          model: "vidsense",
          stream: true,
          messages: history,
          metadata: context.videoId
            ? { video_id: context.videoId, index_id: context.indexId }
            : { index_id: context.indexId },
        },
        (chunk) => {
          if (chunk.error) {
            failure = chunk.error.message || String(chunk.error);
            return;
          }
          const choice = (chunk.choices || [])[0] || {};
          const part = choice.delta || choice.message || {};
          if (typeof part.content === "string") text += part.content;
          const more = chunk.artifacts || part.artifacts || [];
          if (more.length) artifacts = artifacts.concat(more);
          redraw();
        },
        controller.signal,
      );
    } catch (err) {
      failure =
        err instanceof ApiError && err.unavailable
          ? "Chat is not available on this server yet."
          : err.message;
      if (err instanceof ApiError && err.unavailable) answer.classList.add("unavailable");
    } finally {
      controller = null;
      send.disabled = false;
      answer.classList.remove("streaming");
    }
    if (text || artifacts.length) {
      redraw();
      history.push({ role: "assistant", content: text });
    }
    if (failure) {
      if (!text) body.replaceChildren();
      body.append(note(failure, answer.classList.contains("unavailable") ? "" : "error"));
      if (!text) history.pop();
    }
    answer.dataset.done = "true";
  }

  const form = h(
    "form",
    {
      class: "chat-form",
      onsubmit: (e) => {
        e.preventDefault();
        const question = input.value.trim();
        if (!question || controller) return;
        input.value = "";
        ask(question);
      },
    },
    input,
    send,
  );
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  return h("div", { class: "chat" }, log, form);
}
