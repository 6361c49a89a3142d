// The big screen: load the snapshot, then apply pushed events with a later seq.
// Runs for days: chart instances are created once and updated in place, the ticker keeps
// a fixed number of rows, and every (re)connect reloads the snapshot so nothing is missed.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("screen-config").textContent);
  const L = config.labels;
  const COLOURS = { red: "#e5484d", orange: "#f38b2c", yellow: "#e8c400", green: "#2f9e44" };
  const LEVELS = ["red", "orange", "yellow"];
  const TICKER_ROWS = 20;
  let seq = 0;
  let refreshTimer = null;
  let sized = false; // the grid has its final size only after the first render
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

  function time(iso) {
    return new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
  }

  function tickerRow(entry) {
    const li = el("li", { "data-seq": entry.seq, "data-level": entry.level || "", class: entry.level || "" });
    li.append(el("time", {}, time(entry.at)), el("span", {}, entry.title));
    return li;
  }

  function render(s) {
    LEVELS.forEach((lv) => { document.getElementById("count-" + lv).textContent = s.levels[lv]; });
    charts.levels.setOption({
      tooltip: { trigger: "item" },
      series: [{ type: "pie", radius: ["42%", "72%"], center: ["50%", "50%"], label: { show: false },
        data: LEVELS.map((lv) => ({ name: L[lv], value: s.levels[lv], itemStyle: { color: COLOURS[lv] } })) }],
    });
    const units = document.getElementById("units");
    units.replaceChildren(...s.units.map((u) => {
      const li = el("li", { class: "unit " + u.worst, "data-unit": u.code });
      li.append(el("b", {}, u.name), el("span", {}, `${L.red} ${u.red} · ${L.orange} ${u.orange} · ${L.yellow} ${u.yellow}`));
      return li;
    }));
    charts.trend.setOption({
      tooltip: { trigger: "axis" }, legend: { top: 0, right: 0, textStyle: { color: "#dfe6f0" } },
      grid: { left: 40, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: s.trend.map((d) => d.day.slice(5)), axisLabel: { color: "#9fb0c8" } },
      yAxis: { type: "value", minInterval: 1, axisLabel: { color: "#9fb0c8" } },
      series: LEVELS.map((lv) => ({ name: L[lv], type: "bar", stack: "all", itemStyle: { color: COLOURS[lv] },
        data: s.trend.map((d) => d[lv]) })),
    }, { notMerge: true });
    charts.nodes.setOption({
      tooltip: { trigger: "axis" }, grid: { left: 200, right: 16, top: 8, bottom: 24 },
      xAxis: { type: "value", minInterval: 1, axisLabel: { color: "#9fb0c8" } },
      yAxis: { type: "category", inverse: true, data: s.nodes.map((n) => n.label), axisLabel: { color: "#dfe6f0", width: 190, overflow: "truncate" } },
      series: LEVELS.map((lv) => ({ name: L[lv], type: "bar", stack: "all", itemStyle: { color: COLOURS[lv] },
        data: s.nodes.map((n) => n[lv]) })),
    }, { notMerge: true });
    const reds = document.getElementById("reds");
    reds.replaceChildren(...s.latest_red.map((e) => {
      const tr = el("tr", { "data-event": e.id });
      [e.id, e.unit, e.rule_name, e.score.toFixed(1), time(e.created_at)].forEach((v) => tr.append(el("td", {}, String(v))));
      return tr;
    }));
    document.getElementById("ticker").replaceChildren(...s.ticker.map(tickerRow));
    const silences = document.getElementById("silences");
    silences.hidden = s.silences.length === 0;
    silences.textContent = s.silences.map((x) => `${L.silenced}: ${Object.values(x.matcher).join(" ")} ${L.until} ${time(x.ends_at)}`).join("；");
  }

  async function load() {
    const headers = config.token ? { "X-Screen-Token": config.token } : {};
    const answer = await fetch(config.snapshot, { headers, credentials: "same-origin" });
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

  const socket = io(config.namespace, { auth: config.token ? { token: config.token } : {}, transports: ["websocket", "polling"] });
  const link = document.getElementById("link");
  socket.on("connect", () => { link.textContent = L.live; link.className = "live"; load(); });
  socket.on("disconnect", () => { link.textContent = L.offline; link.className = "offline"; });
  socket.on("warning", (event) => {
    if (event.seq <= seq) return; // already in the snapshot
    seq = event.seq;
    const ticker = document.getElementById("ticker");
    ticker.prepend(tickerRow(event));
    while (ticker.children.length > TICKER_ROWS) ticker.lastElementChild.remove();
    refreshSoon(); // the tiles and charts follow from the snapshot
  });
  // The scheduler's heartbeat names the latest seq: behind it, something was missed
  // (Redis was down while it was pushed), so the snapshot is loaded again.
  socket.on("heartbeat", (beat) => { if (beat.seq > seq) refreshSoon(); });
  socket.on("resync", () => refreshSoon()); // a burst too large to push one by one
  setInterval(load, 5 * 60 * 1000); // belt and braces: a missed push is corrected within minutes
  const clock = document.getElementById("clock");
  setInterval(() => { clock.textContent = new Date().toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false }); }, 1000);
})();
