// The big screen: load the snapshot, then apply pushed events with a later seq.
// Runs for days: chart instances are created once and updated in place, the feed keeps
// a fixed number of rows, and every (re)connect reloads the snapshot so nothing is missed.
// No panel is ever left blank: one with nothing to show says so (暂无).
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("screen-config").textContent);
  const L = config.labels;
  const COLOURS = { red: "#e5484d", orange: "#f38b2c", yellow: "#e8c400", green: "#2f9e44" };
  const LEVELS = ["red", "orange", "yellow"];
  const FEED_ROWS = 30;
  let seq = 0;
  let refreshTimer = null;
  let sized = false; // the grid has its final size only after the first render
  let zone = config.timezone || "Asia/Shanghai";
  let levelNames = {}; // the policy's labels (红色预警, 黄牌警告…) from the snapshot
  const charts = {
    levels: echarts.init(document.getElementById("chart-levels")),
    trend: echarts.init(document.getElementById("chart-trend")),
    nodes: echarts.init(document.getElementById("chart-nodes")),
  };
  window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Local time, zero-padded, the same everywhere on the screen: 2026-12-02 14:05.
  // (toLocaleString("zh-CN") writes 2026/12/2 14:05:07.)
  let formatter = null;
  let formatterZone = null;
  function stamp(moment) {
    const date = moment instanceof Date ? moment : new Date(moment);
    if (Number.isNaN(date.getTime())) return "";
    if (formatterZone !== zone) {
      formatter = new Intl.DateTimeFormat("en-GB", { timeZone: zone, year: "numeric", month: "2-digit",
        day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
      formatterZone = zone;
    }
    const p = {};
    formatter.formatToParts(date).forEach((part) => { p[part.type] = part.value; });
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
  }

  function timeEl(iso) {
    return el("time", { datetime: iso }, stamp(iso));
  }

  function levelName(level) {
    const names = levelNames[level];
    return (names && names[config.lang]) || L[level] || "";
  }

  // A panel with nothing to show: its 暂无 is shown (and a chart cleared beneath it).
  function showEmpty(id, empty) {
    const note = document.querySelector(`[data-empty-for="${id}"]`);
    note.hidden = !empty;
    note.parentElement.classList.toggle("is-empty", empty);
  }

  function drawChart(name, id, empty, option) {
    showEmpty(id, empty);
    if (empty) charts[name].clear();
    else charts[name].setOption(option, { notMerge: true });
  }

  function feedRow(entry) {
    const li = el("li", { "data-seq": entry.seq || 0, "data-event": entry.id, "data-level": entry.level, class: entry.level });
    li.append(timeEl(entry.at), el("span", { class: "badge" }, levelName(entry.level)), el("b", {}, entry.unit),
      el("span", { class: "rule" }, entry.rule_name), el("span", { class: "score" }, entry.score.toFixed(1)),
      el("span", { class: "state" }, L.statuses[entry.status] || entry.status));
    return li;
  }

  // A pushed warning, shown at once; the snapshot loaded a moment later redraws the feed.
  function pushedRow(event) {
    const li = el("li", { "data-seq": event.seq, "data-event": event.event_id || "", "data-level": event.level || "", class: event.level || "" });
    li.append(timeEl(event.at), el("span", { class: "pushed" }, event.title));
    return li;
  }

  function unitRow(u, orangeUsed) {
    const li = el("li", { class: "unit " + u.worst, "data-unit": u.code });
    const counts = LEVELS.filter((lv) => lv !== "orange" || orangeUsed || u.orange > 0)
      .map((lv) => `${L[lv]} ${u[lv]}`).join(" · ");
    li.append(el("b", {}, u.name), el("span", {}, counts));
    return li;
  }

  function render(s) {
    if (s.timezone) zone = s.timezone;
    levelNames = s.level_labels || {};
    LEVELS.forEach((lv) => { document.getElementById("count-" + lv).textContent = s.levels[lv]; });
    const total = LEVELS.reduce((sum, lv) => sum + s.levels[lv], 0);
    drawChart("levels", "chart-levels", total === 0, {
      tooltip: { trigger: "item" },
      series: [{ type: "pie", radius: ["42%", "72%"], center: ["50%", "50%"], label: { show: false },
        data: LEVELS.map((lv) => ({ name: L[lv], value: s.levels[lv], itemStyle: { color: COLOURS[lv] } })) }],
    });

    // The units with open warnings first, gravest first; then the others as listed.
    const rank = (u) => [u.red, u.orange, u.yellow];
    const units = s.units.map((u, i) => [u, i]).sort(([a, i], [b, j]) => {
      const [x, y] = [rank(a), rank(b)];
      for (let k = 0; k < 3; k += 1) if (x[k] !== y[k]) return y[k] - x[k];
      return i - j;
    }).map(([u]) => unitRow(u, s.orange_used));
    document.getElementById("units").replaceChildren(...units);
    showEmpty("units", units.length === 0);

    const raised = s.trend.reduce((sum, d) => sum + LEVELS.reduce((n, lv) => n + d[lv], 0), 0);
    drawChart("trend", "chart-trend", raised === 0, {
      tooltip: { trigger: "axis" }, legend: { top: 0, right: 0, textStyle: { color: "#dfe6f0" } },
      grid: { left: 40, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: s.trend.map((d) => d.day.slice(5)), axisLabel: { color: "#9fb0c8" } },
      yAxis: { type: "value", minInterval: 1, axisLabel: { color: "#9fb0c8" } },
      series: LEVELS.map((lv) => ({ name: L[lv], type: "bar", stack: "all", itemStyle: { color: COLOURS[lv] },
        data: s.trend.map((d) => d[lv]) })),
    });
    drawChart("nodes", "chart-nodes", s.nodes.length === 0, {
      tooltip: { trigger: "axis" }, grid: { left: 200, right: 16, top: 8, bottom: 24 },
      xAxis: { type: "value", minInterval: 1, axisLabel: { color: "#9fb0c8" } },
      yAxis: { type: "category", inverse: true, data: s.nodes.map((n) => n.label), axisLabel: { color: "#dfe6f0", width: 190, overflow: "truncate" } },
      series: LEVELS.map((lv) => ({ name: L[lv], type: "bar", stack: "all", itemStyle: { color: COLOURS[lv] },
        data: s.nodes.map((n) => n[lv]) })),
    });

    const reds = s.latest_red.map((e) => {
      const tr = el("tr", { "data-event": e.id });
      [e.id, e.unit, e.rule_name, e.score.toFixed(1)].forEach((v) => tr.append(el("td", {}, String(v))));
      const when = el("td");
      when.append(timeEl(e.created_at));
      tr.append(when);
      return tr;
    });
    document.getElementById("reds").replaceChildren(...reds);
    showEmpty("reds", reds.length === 0);

    const feed = (s.feed || []).slice(0, FEED_ROWS).map(feedRow);
    document.getElementById("ticker").replaceChildren(...feed);
    showEmpty("ticker", feed.length === 0);

    const silences = document.getElementById("silences");
    silences.hidden = s.silences.length === 0;
    silences.textContent = s.silences.map((x) => `${L.silenced}: ${Object.values(x.matcher).join(" ")} ${L.until} ${stamp(x.ends_at)}`).join("；");
  }

  async function load() {
    // A kiosk's token travels in its HttpOnly cookie; an inspector's session in theirs.
    const answer = await fetch(config.snapshot, { credentials: "same-origin" });
    if (!answer.ok) return;
    const snapshot = await answer.json();
    seq = Math.max(seq, snapshot.seq);
    render(snapshot);
    if (!sized) { sized = true; Object.values(charts).forEach((c) => c.resize()); }
  }

  function refreshSoon() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => { refreshTimer = null; load(); }, 800);
  }

  const socket = io(config.namespace, { transports: ["websocket", "polling"] });
  const link = document.getElementById("link");
  socket.on("connect", () => { link.textContent = L.live; link.className = "live"; load(); });
  socket.on("disconnect", () => { link.textContent = L.offline; link.className = "offline"; });
  socket.on("warning", (event) => {
    if (event.seq <= seq) return; // already in the snapshot
    seq = event.seq;
    if (event.kind !== "resolved") {
      const ticker = document.getElementById("ticker");
      ticker.querySelectorAll(`li[data-event="${Number(event.event_id) || 0}"]`).forEach((li) => li.remove());
      ticker.prepend(pushedRow(event));
      while (ticker.children.length > FEED_ROWS) ticker.lastElementChild.remove();
      showEmpty("ticker", false);
    }
    refreshSoon(); // the tiles, charts and feed follow from the snapshot
  });
  // The scheduler's heartbeat names the latest seq: behind it, something was missed
  // (Redis was down while it was pushed), so the snapshot is loaded again.
  socket.on("heartbeat", (beat) => { if (beat.seq > seq) refreshSoon(); });
  socket.on("resync", () => refreshSoon()); // a burst too large to push one by one
  // Every warning raised, escalated or closed, whatever its level, is signalled (ids and
  // level only): the feed, the tiles and the charts follow from the snapshot at once.
  // What the policy routes to the screen (red) also comes as a "warning" above.
  socket.on("risk_event", () => refreshSoon());
  // A safety net for a signal lost while Redis was down between two heartbeats.
  setInterval(load, 60 * 1000);
  const clock = document.getElementById("clock");
  const tick = () => { clock.textContent = stamp(new Date()); };
  tick();
  setInterval(tick, 1000);
})();
