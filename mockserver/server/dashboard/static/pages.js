// The dashboard's pages, on the helpers of dashboard.js (loaded first): each page function wires its controls and
// returns the refresh that reads its data through the admin API.
"use strict";

// ---- Overview ---------------------------------------------------------------------------------------------------

function overview() {
  for (const button of document.querySelectorAll("[data-copy]")) {
    button.addEventListener("click", async () => {
      const text = button.dataset.copy;
      try { await navigator.clipboard.writeText(text); } catch { /* no clipboard here: the text stays shown */ }
      say(`copied ${text}`);
    });
  }
  $("#clock-freeze").addEventListener("click", () => act("/clock/freeze", {}, () => "clock frozen"));
  $("#clock-run").addEventListener("click", () => {
    const scale = Number($("#clock-scale").value);
    act("/clock/scale", {scale}, () => `clock runs at scale ${scale}`);
  });
  $("#use-scenario").addEventListener("click", () =>
    act("/scenarios/default", {name: $("#default-scenario").value}, (d) => `default scenario: ${d.default}`));
  $("#reset").addEventListener("click", () => {
    if (confirm("Reset the mock: drop every task and journal entry?")) act("/reset", {}, () => "the mock was reset");
  });
  let shownDefault = null;
  return async () => {
    const {data} = await api("/");
    setClock(data.clock);
    $("#overview-now").textContent = stamp(data.clock.now);
    $("#overview-mode").textContent = data.clock.mode;
    $("#overview-scale").textContent = data.clock.scale;
    if (data.default_scenario !== shownDefault) $("#default-scenario").value = shownDefault = data.default_scenario;
    const rows = Object.entries(data.counts).map(([provider, states]) => {
      const total = Object.values(states).reduce((a, b) => a + b, 0);
      const cells = Object.entries(states).map(([state, n]) => el("span", {}, badge(state), ` ${n} `));
      return el("tr", {}, el("td", {text: provider}), el("td", {}, ...cells), el("td", {text: total}));
    });
    $("#counts tbody").replaceChildren(...rows);
  };
}

// ---- Tasks ------------------------------------------------------------------------------------------------------

function tasks() {
  const form = $("#task-filters");
  form.addEventListener("change", () => refresh());
  return async () => {
    const [list, described] = await Promise.all([
      api(`/tasks?${query(form, {limit: LIVE_ROWS})}`), api("/clock")]);
    setClock(described.data);
    const rows = list.data.tasks.reverse().map((t) => el("tr", {"data-task": t.id},
      el("td", {}, el("a", {href: `/__admin/ui/tasks/${encodeURIComponent(t.id)}`, text: t.id})),
      el("td", {text: t.provider}), el("td", {text: t.scenario}), el("td", {}, badge(t.state)),
      el("td", {}, el("progress", {max: 100, value: t.progress}), ` ${t.progress}%`),
      el("td", {text: stamp(t.created_at)}), el("td", {text: t.polls})));
    $("#tasks tbody").replaceChildren(...rows);
    $("#task-total").textContent = `${list.data.total} task(s)`;
    $("#no-tasks").hidden = list.data.total > 0;
  };
}

// ---- one task ---------------------------------------------------------------------------------------------------

function task() {
  const id = body.dataset.taskId;
  let shownAnswer = null, media = [], checked = new Set();
  setInterval(() => countdown(media, checked), 250);
  return async () => {
    const answer = await api(`/tasks/${encodeURIComponent(id)}/timeline`);
    $("#task-missing").hidden = answer.ok;
    $("#task-body").hidden = !answer.ok;
    if (!answer.ok) return;
    const story = answer.data, t = story.task;
    setClock(story.clock);
    $("#task-state").replaceWith(Object.assign(badge(t.state), {id: "task-state"}));
    $("#task-progress").textContent = `${t.progress}% · ${t.provider} · ${t.polls} poll(s)`;
    $("#task-scenario").textContent = t.scenario;
    $("#task-scenario").href = `/__admin/ui/scenarios#${encodeURIComponent(t.scenario)}`;
    $("#script").replaceChildren(...(story.script.length ? story.script : ["nothing: the gateway's own timings"])
      .map((line) => el("li", {text: line})));
    $("#task-request").textContent = JSON.stringify(t.request, null, 2);
    drawTimeline(story);
    const rows = story.exchanges.map((x, n) => el("tr", {class: "clickable", onclick: () => showAnswer(x)},
      el("td", {text: n + 1}), el("td", {text: stamp(x.time)}), el("td", {text: `${x.method} ${x.path}`}),
      el("td", {text: x.status})));
    $("#exchanges tbody").replaceChildren(...rows);
    const newest = story.exchanges[story.exchanges.length - 1];
    if (newest && (!shownAnswer || shownAnswer.seq !== newest.seq)) showAnswer(newest);
    if (JSON.stringify(story.media.map((m) => m.url)) !== JSON.stringify(media.map((m) => m.url))) {
      media = story.media;
      checked = new Set();
      showMedia(media);
    }
    countdown(media, checked);
  };

  function showAnswer(exchange) {
    shownAnswer = exchange;
    const head = `${exchange.method} ${exchange.path} → ${exchange.status}\n${headersText(exchange.response_headers)}`;
    $("#answer").textContent = `${head}\n\n${pretty(exchange.response_body)}`;
  }
}

function drawTimeline(story) {
  const t = story.task, steps = story.steps, now = mockNow();
  const timed = steps.filter((s) => s.ends_at != null);
  const end = Math.max(story.outcome.at || 0, ...timed.map((s) => s.ends_at), t.created_at + 1);
  const total = (Math.max(end, now) - t.created_at) * 1.05; // room after the end for its mark and "now"
  const at = (time) => `${Math.min(100, Math.max(0, ((time - t.created_at) / total) * 100))}%`;
  const bar = el("div", {class: "bar"});
  let left = 0;
  for (const step of steps) {
    const width = step.ends_at != null ? ((step.ends_at - step.starts_at) / total) * 100 : 12;
    const label = step.ends_at != null ? `${step.state} ${span(step.ends_at - step.starts_at)}`
      : step.ends_after_polls != null ? `${step.state} until poll ${step.ends_after_polls}` : `${step.state} forever`;
    bar.append(el("div", {class: `step state-${step.state}${step.current ? " current" : ""}`, title: label,
      style: {left: `${left}%`, width: `${Math.max(width, 0.5)}%`}}, el("span", {text: label})));
    left += width;
  }
  const outcome = story.outcome;
  const ends = outcome.failed ? `${outcome.state} at ${outcome.at_progress}%` : outcome.state;
  if (outcome.at != null) {
    bar.append(el("div", {class: `mark outcome state-${outcome.state}`, style: {left: at(outcome.at)},
      title: `${ends} at ${stamp(outcome.at)}`}, el("span", {text: outcome.failed ? `✗ ${ends}` : `✓ ${ends}`})));
  }
  for (const [n, x] of story.exchanges.entries()) {
    bar.append(el("div", {class: `tick${x.status >= 400 ? " fault" : ""}`, style: {left: at(x.time)},
      title: `${n + 1}: ${x.method} ${x.path} → ${x.status} at ${stamp(x.time)}`}));
  }
  bar.append(el("div", {class: "mark now", id: "now-mark", style: {left: at(now)}, title: `now ${stamp(now)}`},
    el("span", {text: "now"})));
  $("#timeline").replaceChildren(bar);
  $("#timeline-legend").replaceChildren(
    el("li", {text: `submitted ${stamp(t.created_at)}`}),
    el("li", {text: outcome.at != null ? `${outcome.reached ? "ended" : "ends"} ${ends} at ${stamp(outcome.at)}`
      : `ends ${ends} once its polls or script allow`}),
    el("li", {text: `ticks: the client's requests (${story.exchanges.length}), red when refused`}));
}

function showMedia(media) {
  if (!media.length) return;
  $("#result").replaceChildren(...media.map((m, n) => el("figure", {"data-media": n},
    m.kind === "video" ? el("video", {src: m.url, controls: true, muted: true, preload: "auto"})
      : m.kind === "image" ? el("img", {src: m.url, alt: "result"}) : el("a", {href: m.url, text: "the result file"}),
    el("figcaption", {}, el("a", {href: m.url, text: m.url.split("?")[0]}), el("br"),
      el("span", {class: "expiry", text: ""})))));
}

function countdown(media, checked) {
  for (const [n, m] of media.entries()) {
    const label = $(`[data-media="${n}"] .expiry`);
    if (!label || m.expires == null) continue;
    const left = m.expires - mockNow();
    if (left > 0) {
      label.textContent = `expires in ${span(left)} on the mock's clock (${stamp(m.expires)})`;
      label.className = "expiry";
    } else if (!checked.has(n)) {
      checked.add(n);
      label.textContent = `expired at ${stamp(m.expires)}`;
      label.className = "expiry expired";
      fetch(m.url, {method: "HEAD", cache: "no-store"}).then((answer) => {
        label.textContent = `expired at ${stamp(m.expires)}: the URL now answers ${answer.status}`;
      });
    }
  }
}

// ---- Journal ----------------------------------------------------------------------------------------------------

function journal() {
  const form = $("#journal-filters"), table = $("#journal tbody");
  let after = 0, filtersChanged = 0;
  const restart = () => { after = 0; filtersChanged += 1; table.replaceChildren(); refresh(); };
  form.addEventListener("change", restart);
  form.addEventListener("submit", (event) => { event.preventDefault(); restart(); });
  $("#clear-journal").addEventListener("click", async () => {
    await api("/journal", {method: "DELETE"});
    restart();
  });
  return async () => {
    const filters = query(form), asked = filtersChanged;
    $("#export").href = `${ADMIN}/cassette?${filters}`;
    const [list, described] = await Promise.all([
      api(`/journal?${query(form, {after, limit: LIVE_ROWS})}`), api("/clock")]);
    setClock(described.data);
    if (asked !== filtersChanged) return; // the filters changed while this was asked: its answer is stale
    if (!list.ok) { say(list.data.error.message, true); return; }
    for (const entry of list.data.entries) {
      after = Math.max(after, entry.seq);
      table.prepend(el("tr", {class: `clickable${entry.unmatched ? " unmatched" : ""}`, "data-seq": entry.seq,
        onclick: () => showEntry(entry.seq)},
        el("td", {text: entry.seq}), el("td", {text: stamp(entry.time)}), el("td", {text: entry.method}),
        el("td", {text: entry.path + (entry.query ? `?${entry.query}` : "")}), el("td", {text: entry.provider || ""}),
        el("td", {text: entry.status + (entry.unmatched ? " unmatched" : "")}),
        el("td", {class: "latency", text: entry.latency_ms == null ? "" : `${entry.latency_ms.toFixed(1)} ms`}),
        el("td", {text: entry.task_id || ""})));
    }
    while (table.rows.length > LIVE_ROWS) table.deleteRow(-1);
    $("#journal-total").textContent = `${table.rows.length} shown`;
  };
}

async function showEntry(seq) {
  const {ok, data} = await api(`/journal/${seq}`);
  $("#entry").hidden = false;
  if (!ok) { $("#entry-title").textContent = data.error.message; return; }
  $("#entry-title").textContent = `#${data.seq} ${data.method} ${data.path} → ${data.status}`;
  $("#entry-request-headers").textContent = headersText(data.request_headers);
  $("#entry-request-body").textContent = pretty(data.request_body);
  $("#entry-response-headers").textContent = headersText(data.response_headers);
  $("#entry-response-body").textContent = pretty(data.response_body);
  $("#entry-nearest").hidden = !data.unmatched;
  $("#entry-nearest ol").replaceChildren(...(data.nearest.length ? data.nearest.map((near) =>
    el("li", {text: near.request + (near.times > 1 ? `  ×${near.times}` : "")}))
    : [el("li", {text: "no answered request to compare with"})]));
}

// ---- Scenarios --------------------------------------------------------------------------------------------------

// The scenario a link names (`#<name>`, percent-encoded as a task's page writes it); none when it is no encoding.
function hashed() {
  try { return decodeURIComponent(location.hash.slice(1)) || null; } catch { return null; }
}

function scenarios() {
  const form = $("#scenario-form"), text = form.elements.yaml;
  let shown = hashed();
  const numberLines = (bad) => $("#scenario-lines").replaceChildren(...text.value.split("\n").map((_, n) =>
    el("li", {class: n + 1 === bad ? "bad" : null, text: n + 1})));
  text.addEventListener("input", () => numberLines(null));
  text.addEventListener("scroll", () => { $("#scenario-lines").scrollTop = text.scrollTop; });
  numberLines(null);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = form.elements.name.value;
    const answer = await api("/scenarios", {method: "POST", body: {name, yaml: text.value}});
    const error = $("#scenario-error");
    error.hidden = answer.ok;
    if (!answer.ok) {
      const e = answer.data.error;
      error.textContent = e.line ? `Line ${e.line}: ${e.message.replace(/^line \d+: /, "")}` : e.message;
      numberLines(e.line);
      return;
    }
    numberLines(null);
    say(`scenario ${name} added`);
    shown = name;
    await refresh();
  });
  $("#scenario-use").addEventListener("click", () =>
    act("/scenarios/default", {name: shown}, (d) => `default scenario: ${d.default}`));
  let listed = "";
  return async () => {
    const [{data}, described] = await Promise.all([api("/scenarios"), api("/clock")]);
    setClock(described.data);
    const key = JSON.stringify(data);
    if (key !== listed) {
      listed = key;
      $("#scenarios tbody").replaceChildren(...data.scenarios.map((s) => el("tr", {class: "clickable",
        "data-scenario": s.name, onclick: () => { shown = s.name; location.hash = encodeURIComponent(s.name); showScenario(s.name, data.default); }},
        el("td", {}, el("code", {text: s.name}), s.name === data.default ? el("span", {class: "badge", text: "default"}) : ""),
        el("td", {text: Array.isArray(s.providers) ? s.providers.join(", ") : "all"}),
        el("td", {text: s.description}))));
      if (shown) await showScenario(shown, data.default);
    }
  };
}

async function showScenario(name, defaultName) {
  const {ok, data} = await api(`/scenarios/${encodeURIComponent(name)}`);
  $("#scenario").hidden = !ok;
  if (!ok) return;
  $("#scenario-name").textContent = data.name;
  $("#scenario-default").hidden = data.name !== defaultName;
  const gateways = Array.isArray(data.providers) ? data.providers.join(", ") : "every gateway";
  const shipped = /[\\/]scenarios[\\/]builtin[\\/]([^\\/]+)$/.exec(data.source);
  $("#scenario-source").textContent = `${shipped ? `built-in (${shipped[1]})` : data.source} · applies to ${gateways}`;
  $("#scenario-yaml").textContent = data.yaml;
}

// ---- start ------------------------------------------------------------------------------------------------------

const PAGES = {overview, tasks, task, journal, scenarios};
pageRefresh = PAGES[body.dataset.page]();
refresh();
