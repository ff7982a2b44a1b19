// The agent page: metric trends across the agent's finished calls (uPlot).
"use strict";
(function () {
  const points = JSON.parse(document.getElementById("agent-data").textContent);
  if (!points.length) return;
  // Calls are evenly spaced in time order (x = call number), labelled with their dates: a coach reads
  // "over my last calls", and one call on its own still gets a readable axis.
  const x = points.map((p, i) => i);
  const date = (i) => {
    const p = points[Math.round(i)];
    return p && p.t != null && Math.abs(i - Math.round(i)) < 1e-6 ? new Date(p.t * 1000).toISOString().slice(0, 10) : "";
  };
  const width = () => Math.max(320, document.getElementById("trend-interruptions").clientWidth || 600);
  function chart(id, series, unit) {
    return new uPlot(
      {
        width: width(),
        height: 180,
        scales: { x: { time: false, range: [-0.5, Math.max(points.length - 0.5, 0.5)] } },
        axes: [{ values: (u, vals) => vals.map(date), space: 90 }, { label: unit, size: 60 }],
        series: [{ label: "call", value: (u, v) => (v == null ? "–" : "#" + (v + 1) + " " + date(v)) }, ...series.map(([key, label, color]) => ({ label, stroke: color, width: 1.5, points: { show: true } }))],
      },
      [x, ...series.map(([key]) => points.map((p) => p[key]))],
      document.getElementById(id),
    );
  }
  window.callscopeAgent = {
    interruptions: chart("trend-interruptions", [["agent_interruptions_per_10min", "agent interruptions per 10 min", "#b91c1c"]], "per 10 min"),
    share: chart("trend-share", [["agent_talk_share_pct", "agent talk share %", "#1d4ed8"], ["agent_aroused_pct", "agent aroused % of speech", "#b45309"]], "%"),
  };
})();
