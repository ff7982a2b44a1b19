// The agent page: metric trends across the agent's finished calls (uPlot).
"use strict";
(function () {
  const points = JSON.parse(document.getElementById("agent-data").textContent);
  if (!points.length) return;
  const t = points.map((p) => p.t);
  const date = (v) => new Date(v * 1000).toISOString().slice(0, 10);
  const width = () => Math.max(320, document.getElementById("trend-interruptions").clientWidth || 600);
  function chart(id, series, unit) {
    return new uPlot(
      {
        width: width(),
        height: 180,
        scales: { x: { time: false } },
        axes: [{ values: (u, vals) => vals.map(date) }, { label: unit, size: 60 }],
        series: [{ label: "call date", value: (u, v) => date(v) }, ...series.map(([key, label, color]) => ({ label, stroke: color, width: 1.5, points: { show: true } }))],
      },
      [t, ...series.map(([key]) => points.map((p) => p[key]))],
      document.getElementById(id),
    );
  }
  window.callscopeAgent = {
    interruptions: chart("trend-interruptions", [["agent_interruptions_per_10min", "agent interruptions per 10 min", "#b91c1c"]], "per 10 min"),
    share: chart("trend-share", [["agent_talk_share_pct", "agent talk share %", "#1d4ed8"], ["agent_aroused_pct", "agent aroused % of speech", "#b45309"]], "%"),
  };
})();
