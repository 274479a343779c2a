// The dashboard's helpers (pages.js holds the pages): it reads and drives the mock through the admin API
// (/__admin/...), and refreshes the open page every data-refresh-ms while the page is visible. Plain JavaScript, no
// build step, nothing fetched from elsewhere.
"use strict";

const ADMIN = "/__admin";
const body = document.body;
const REFRESH_MS = Number(body.dataset.refreshMs);
const LIVE_ROWS = Number(body.dataset.liveRows);
const BUSY_FACTOR = Number(body.dataset.busyFactor);
const $ = (selector, root = document) => root.querySelector(selector);

// ---- the admin API --------------------------------------------------------------------------------------------

async function api(path, options = {}) {
  const init = {method: options.method || "GET", headers: {Accept: "application/json"}, credentials: "same-origin"};
  if (init.method !== "GET") {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.body || {});
  }
  const answer = await fetch(ADMIN + path, init);
  const timing = /dur=([0-9.]+)/.exec(answer.headers.get("Server-Timing") || "");
  serverMs += timing ? Number(timing[1]) : 0;
  const data = await answer.json().catch(() => ({}));
  return {ok: answer.ok, status: answer.status, data};
}

async function act(path, body, done) {
  const answer = await api(path, {method: "POST", body});
  if (!answer.ok) say(answer.data.error ? answer.data.error.message : `HTTP ${answer.status}`, true);
  else if (done) say(done(answer.data));
  await refresh();
  return answer;
}

function say(text, error = false) {
  const box = $("#message");
  box.textContent = text;
  box.className = error ? "error" : "";
  box.hidden = !text;
}

// ---- the mock's clock, between two reads ----------------------------------------------------------------------

let clock = null; // {now, mode, scale, read}: read is the browser's time when it was read

function setClock(described) {
  clock = {...described, read: Date.now()};
  $("#clock-now").textContent = stamp(described.now);
  $("#clock-mode").textContent = described.mode === "scaled" ? `scaled ${described.scale}` : described.mode;
}

function mockNow() {
  if (!clock) return 0;
  const wall = (Date.now() - clock.read) / 1000;
  if (clock.mode === "virtual") return clock.now;
  return clock.now + (clock.mode === "scaled" ? wall / clock.scale : wall);
}

function stamp(seconds) {
  return seconds == null ? "" : new Date(seconds * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

function span(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), rest = s % 60;
  return (h ? `${h} h ` : "") + (h || m ? `${m} min ` : "") + `${rest} s`;
}

// ---- building the page ----------------------------------------------------------------------------------------

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else if (name === "style") Object.assign(node.style, value); // through the CSSOM: the page's policy allows no style attribute
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

function pretty(text) {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}

function headersText(headers) {
  return Object.entries(headers || {}).map(([name, value]) => `${name}: ${value}`).join("\n");
}

function badge(state) {
  return el("span", {class: `badge state-${state}`, text: state});
}

function query(form, extra = {}) {
  const params = new URLSearchParams(extra);
  for (const [name, value] of new FormData(form)) if (value) params.set(name, value);
  return params;
}

// ---- live refresh: one round of calls per page, none while the page is hidden ----------------------------------
// The wait grows with what a round costs the mock (BUSY_FACTOR times the Server-Timing of its calls): a page never
// takes more than about 1 % of the mock's time, however many tasks it holds.

let pageRefresh = async () => {};
let timer = null;
let serverMs = 0; // what the calls since the round began cost the mock

async function refresh() {
  clearTimeout(timer);
  serverMs = 0;
  try {
    await pageRefresh();
  } finally {
    const wait = Math.max(REFRESH_MS, BUSY_FACTOR * serverMs);
    $("#refresh").textContent = wait > REFRESH_MS ? `live, every ${Math.round(wait / 1000)} s (the mock is busy)`
      : `live, every ${REFRESH_MS / 1000} s`;
    clearTimeout(timer); // one loop, even when a click refreshed while a round was under way
    if (document.visibilityState === "visible") timer = setTimeout(refresh, wait);
  }
}

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") refresh(); else clearTimeout(timer);
});

// ---- the header: clock controls on every page ------------------------------------------------------------------

for (const button of document.querySelectorAll("[data-advance]")) {
  button.addEventListener("click", () =>
    act("/clock/advance", {seconds: Number(button.dataset.advance)}, (c) => `clock advanced to ${stamp(c.now)}`));
}
$("#clock-next").addEventListener("click", () =>
  act("/clock/next", {}, (moved) => `task ${moved.task}: ${moved.from} → ${moved.to} at ${stamp(moved.clock.now)}`));

