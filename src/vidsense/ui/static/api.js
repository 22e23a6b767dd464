// Talking to the vidsense API: JSON calls, uploads with progress, chat streams, media URLs.
// The API key (when the server wants one) is asked once and kept in sessionStorage.

const KEY_STORE = "vidsense.apiKey";
export const API = "/v1";

/** An error answer from the server: HTTP status, machine-readable code and its message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
  /** True when the route itself does not exist on this server (not a missing record). */
  get unavailable() {
    return this.status === 404 && (this.code === "not_found" || this.code === "http_error");
  }
}

let askForKey = async () => null;

/** Set how a key is asked for (a dialog); it resolves to the key, or null when cancelled. */
export function onKeyNeeded(ask) {
  askForKey = ask;
}

export function apiKey() {
  return sessionStorage.getItem(KEY_STORE) || "";
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY_STORE, key);
  else sessionStorage.removeItem(KEY_STORE);
  mediaCache.forEach((entry) => {
    if (entry.blob) URL.revokeObjectURL(entry.url);
  });
  mediaCache.clear();
}

function headers(extra = {}) {
  const key = apiKey();
  return key ? { ...extra, "x-api-key": key } : extra;
}

async function errorOf(response) {
  let code = "http_error";
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    // vidsense envelope {code, message}, or OpenAI {error: {message, code}}
    const e = body.error && typeof body.error === "object" ? body.error : body;
    code = e.code || e.type || code;
    message = e.message || message;
  } catch {
    /* not JSON: keep the status line */
  }
  return new ApiError(response.status, code, message);
}

/** fetch() with the key; on 401 ask for a key once and try again. */
async function send(path, init = {}) {
  for (let attempt = 0; ; attempt++) {
    let response;
    try {
      response = await fetch(path, { ...init, headers: headers(init.headers) });
    } catch (e) {
      throw new ApiError(0, "network_error", `The server could not be reached (${e.message}).`);
    }
    if (response.status !== 401 || attempt > 0) return response;
    const given = await askForKey((await errorOf(response.clone())).message);
    if (!given) return response;
    setApiKey(given);
  }
}

/** Call a JSON route: `api("/indexes")`, `api("/search", {method: "POST", json: {...}})`. */
export async function api(path, { method = "GET", json, signal } = {}) {
  const init = { method, signal, headers: {} };
  if (json !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(json);
  }
  const response = await send(API + path, init);
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return null;
  return response.json();
}

/** Upload a file as a new task (multipart), reporting the bytes sent (0..1) as they go. */
export function uploadVideo(indexId, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${API}/tasks`);
    const key = apiKey();
    if (key) xhr.setRequestHeader("x-api-key", key);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body = {};
      try {
        body = JSON.parse(xhr.responseText || "{}");
      } catch {
        /* keep {} */
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else
        reject(
          new ApiError(xhr.status, body.code || "http_error", body.message || xhr.statusText),
        );
    };
    xhr.onerror = () => reject(new ApiError(0, "network_error", "The upload was interrupted."));
    const form = new FormData();
    form.append("index_id", indexId);
    form.append("video_file", file, file.name);
    xhr.send(form);
  });
}

/** Every page of a listing (`/indexes`, `/indexes/{id}/videos`), up to `max` items. */
export async function listAll(path, max = 500) {
  const items = [];
  for (let page = 1; items.length < max; page++) {
    const sep = path.includes("?") ? "&" : "?";
    const answer = await api(`${path}${sep}page=${page}&page_limit=50`);
    items.push(...answer.data);
    if (page >= (answer.page_info?.total_page || 1)) break;
  }
  return items;
}

/**
 * Stream a chat completion (OpenAI SSE). `onChunk` gets each parsed chunk; resolves when the
 * server sends `data: [DONE]` or closes. A non-streaming JSON answer is passed as one chunk.
 */
export async function streamChat(body, onChunk, signal) {
  const response = await send(`${API}/chat/completions`, {
    method: "POST",
    signal,
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await errorOf(response);
  if (!(response.headers.get("content-type") || "").includes("text/event-stream")) {
    onChunk(await response.json());
    return;
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const data = event
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trimStart())
        .join("\n");
      if (!data) continue;
      if (data === "[DONE]") return;
      try {
        onChunk(JSON.parse(data));
      } catch {
        /* a malformed event: skip it */
      }
    }
  }
}

// Browsers cannot add headers to <img>/<video> requests. With a key set, a video's stream and
// thumbnails get a signed, expiring URL from the server (POST /v1/media/sign), so the player
// streams with range requests; should signing fail, the file is fetched with the key and
// shown from a blob URL instead.
const mediaCache = new Map(); // path + query -> {url, until (ms), blob}
const pendingMedia = new Map(); // path + query -> Promise of a cache entry
const RESIGN_MARGIN_MS = 5 * 60 * 1000; // ask again when a signed URL has this little left

async function signMedia(path) {
  const response = await send(`${API}/media/sign`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ path }),
  });
  if (!response.ok) throw await errorOf(response);
  const body = await response.json();
  const until = body.expires_at ? body.expires_at * 1000 : Infinity;
  return { url: body.url, until, blob: false };
}

async function blobMedia(path) {
  const response = await send(path);
  if (!response.ok) throw await errorOf(response);
  return { url: URL.createObjectURL(await response.blob()), until: Infinity, blob: true };
}

/** A URL an <img> or <video> can load; same-origin API media is signed (or goes through the
 * key as a blob when it cannot be signed). */
export async function mediaUrl(url) {
  const key = apiKey();
  const absolute = new URL(url, location.href);
  if (!key || absolute.origin !== location.origin) return url;
  if (absolute.searchParams.has("signature")) return url; // signed already (chat artifacts)
  const cacheKey = absolute.pathname + absolute.search;
  const cached = mediaCache.get(cacheKey);
  if (cached && cached.until - Date.now() > RESIGN_MARGIN_MS) return cached.url;
  if (!pendingMedia.has(cacheKey)) {
    const made = signMedia(cacheKey)
      .catch(() => blobMedia(cacheKey))
      .then((entry) => {
        mediaCache.set(cacheKey, entry);
        return entry;
      })
      .finally(() => pendingMedia.delete(cacheKey));
    pendingMedia.set(cacheKey, made);
  }
  return (await pendingMedia.get(cacheKey)).url;
}

/** Point `el.src` at `url` (through the key when needed). */
export function setMediaSource(el, url) {
  if (!apiKey()) {
    el.src = url;
    return;
  }
  mediaUrl(url)
    .then((src) => {
      el.src = src;
    })
    .catch(() => el.classList.add("media-error"));
}

export function videoPath(indexId, videoId) {
  return `${API}/indexes/${encodeURIComponent(indexId)}/videos/${encodeURIComponent(videoId)}`;
}

export function thumbnailUrl(indexId, videoId, time) {
  const base = `${videoPath(indexId, videoId)}/thumbnail.jpg`;
  return time === undefined ? base : `${base}?time=${Math.max(0, time).toFixed(3)}`;
}

export function streamUrl(indexId, videoId) {
  return `${videoPath(indexId, videoId)}/stream`;
}
