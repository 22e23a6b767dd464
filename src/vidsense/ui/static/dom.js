// Small DOM helpers shared by every view.

/** Build an element: h("a", {href: "#/", class: "x", onclick: fn}, "text", child, ...). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "class") {
      el.className = value;
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else if (name in el && typeof value !== "string") {
      el[name] = value;
    } else {
      el.setAttribute(name, value === true ? "" : value);
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** Replace an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Seconds as m:ss (or h:mm:ss), rounded to the nearest second (tenth when `precise`), an
 * exact half to the even one: the rule of vidsense.times, so 12.6 s reads 0:13 here as in the
 * CLI and chat. */
export function clock(seconds, precise = false) {
  const scale = precise ? 10 : 1;
  const units = roundHalfEven(Math.max(0, Number(seconds) || 0) * scale);
  const whole = Math.floor(units / scale);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, "0");
  const sec = precise ? `${s}.${units % scale}` : s;
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** The nearest whole number, an exact half to the even one (as Python's round). */
function roundHalfEven(x) {
  const up = Math.round(x);
  return x % 1 === 0.5 && up % 2 !== 0 ? up - 1 : up;
}

export function bytes(n) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  let v = Number(n) || 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 && i ? 1 : 0)} ${units[i]}`;
}

export function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return isNaN(d) ? "" : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

const STATUS_LABELS = {
  validating: "Validating",
  pending: "Queued",
  queued: "Queued",
  indexing: "Indexing",
  ready: "Ready",
  failed: "Failed",
  enqueued: "Queued",
  running: "Running",
  completed: "Completed",
  paused: "Paused",
};

export function statusBadge(status) {
  return h("span", { class: `badge status-${status}` }, STATUS_LABELS[status] || status);
}

/** A calm note inside a panel (empty, not available, error). */
export function note(text, kind = "") {
  return h("p", { class: `note ${kind}`.trim() }, text);
}

export function spinner(label = "Loading") {
  return h("div", { class: "loading", role: "status" }, h("span", { class: "spin" }), label, "…");
}

/** A short message in the corner; `kind` "error" stays longer. */
export function toast(text, kind = "") {
  const box = document.getElementById("toasts");
  const item = h("div", { class: `toast ${kind}`.trim() }, text);
  box.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 4000);
}

/** Query parameters of the current hash route (`#/videos/a/b?t=3` -> {t: "3"}). */
export function hashQuery() {
  const at = location.hash.indexOf("?");
  return Object.fromEntries(new URLSearchParams(at >= 0 ? location.hash.slice(at + 1) : ""));
}
