// The call review page: audio player, tone timeline (uPlot), markers, transcript, verdict evidence.
// All data comes from the JSON embedded in the page (service/review.py); nothing else is fetched but the audio.
"use strict";
(function () {
  const view = JSON.parse(document.getElementById("call-data").textContent);
  const player = document.getElementById("player");
  const COLORS = { agent: "#1d4ed8", customer: "#b45309" };
  const state = { charts: {}, words: [], wordEls: [], current: -1, renderedMs: null };
  window.callscope = state;

  function clock(s) {
    if (s == null || !isFinite(s)) return "–";
    const m = Math.floor(s / 60);
    return String(m).padStart(2, "0") + ":" + (s - 60 * m).toFixed(1).padStart(4, "0");
  }

  function seek(t) {
    player.currentTime = Math.max(0, t);
    if (player.paused) player.play().catch(() => {}); // autoplay may be refused; the position still moves
    highlight();
  }

  // A processing call: poll its status, reload when it is finished.
  const pending = document.getElementById("pending");
  if (pending) {
    const url = pending.dataset.statusUrl;
    const tick = async () => {
      try {
        const r = await fetch(url, { credentials: "same-origin" });
        const s = await r.json();
        document.getElementById("pending-stage").textContent = s.status + (s.stage ? ", " + s.stage : "");
        document.getElementById("pending-progress").value = s.progress;
        document.getElementById("pending-pct").textContent = Math.round(s.progress) + " %";
        if (s.status === "done" || s.status === "failed") return location.reload();
      } catch (e) { /* a restart of the API: keep polling */ }
      setTimeout(tick, 1500);
    };
    setTimeout(tick, 1500);
  }

  // Keyboard playback controls, unless the user is typing.
  document.addEventListener("keydown", (e) => {
    const tag = (e.target.tagName || "").toLowerCase();
    if (["input", "select", "textarea"].includes(tag) || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === " " && tag === "button") return; // space activates the focused button
    const k = e.key.toLowerCase();
    if (k === " " || k === "k") { e.preventDefault(); player.paused ? player.play() : player.pause(); }
    else if (k === "j" || e.key === "ArrowLeft") { e.preventDefault(); player.currentTime = Math.max(0, player.currentTime - 5); }
    else if (k === "l" || e.key === "ArrowRight") { e.preventDefault(); player.currentTime = player.currentTime + 5; }
  });

  // Evidence lines (and any other .seek button) jump to their moment.
  document.addEventListener("click", (e) => {
    const b = e.target.closest(".seek");
    if (b && b.dataset.t !== undefined) seek(parseFloat(b.dataset.t));
  });

  if (!view.ready) return;
  const duration = view.duration_s || 0;

  // Transcript: one list item per turn, one span per word (clicks are delegated).
  const list = document.getElementById("transcript");
  const frag = document.createDocumentFragment();
  for (const turn of view.turns) {
    const li = document.createElement("li");
    li.className = "turn " + turn.speaker;
    const head = document.createElement("button");
    head.type = "button";
    head.className = "seek turn-head";
    head.dataset.t = turn.start;
    head.textContent = turn.speaker + " " + clock(turn.start);
    head.title = "Play from here";
    li.appendChild(head);
    const p = document.createElement("p");
    for (const [start, end, text] of turn.words) {
      const w = document.createElement("span");
      w.className = "w";
      w.dataset.t = start;
      w.dataset.i = state.words.length;
      w.textContent = text.trim();
      state.words.push([start, end]);
      state.wordEls.push(w);
      p.appendChild(w);
      p.appendChild(document.createTextNode(" "));
    }
    li.appendChild(p);
    frag.appendChild(li);
  }
  list.appendChild(frag);
  list.addEventListener("click", (e) => {
    const w = e.target.closest(".w");
    if (w) seek(parseFloat(w.dataset.t));
  });

  // The word being spoken: the last word that started at or before the playback time.
  function wordAt(t) {
    let lo = 0, hi = state.words.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (state.words[mid][0] <= t) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found >= 0 && t <= state.words[found][1] + 0.5 ? found : -1;
  }

  function highlight() {
    const t = player.currentTime;
    const i = wordAt(t);
    if (i !== state.current) {
      if (state.current >= 0) state.wordEls[state.current].classList.remove("now");
      if (i >= 0) {
        const el = state.wordEls[i];
        el.classList.add("now");
        if (!player.paused) el.scrollIntoView({ block: "nearest" });
      }
      state.current = i;
    }
    for (const c of Object.values(state.charts)) c.playhead.style.left = c.u.valToPos(t, "x") + "px";
  }
  player.addEventListener("timeupdate", highlight);
  player.addEventListener("seeked", highlight);
  let frame = null;
  const loop = () => { highlight(); frame = player.paused ? null : requestAnimationFrame(loop); };
  player.addEventListener("play", () => { if (!frame) frame = requestAnimationFrame(loop); });

  // The tone timeline: three uPlot charts on one time axis, cursors in sync, click to seek.
  const tl = view.timeline;
  const width = () => Math.max(320, document.getElementById("chart-pitch").clientWidth || 600);
  const readies = [];
  const lane = document.getElementById("markers");
  let pitch = null;
  function chart(id, series, unit, height) {
    const el = document.getElementById(id);
    if (!tl) { el.textContent = "No tone timeline in this report."; return; }
    let ready;
    readies.push(new Promise((resolve) => { ready = resolve; }));
    const parties = ["agent", "customer"].filter((p) => tl.parties[p]);
    const opts = {
      width: width(),
      height: height,
      cursor: { sync: { key: "tone" }, drag: { x: false, y: false } },
      scales: { x: { time: false, range: [0, duration || tl.t[tl.t.length - 1] || 1] } },
      legend: { live: true },
      // uPlot sizes its plotting area after the first commit: markers and playhead are placed from then on.
      hooks: { ready: [() => ready()], setSize: [() => placeMarkers()] },
      axes: [
        { values: (u, vals) => vals.map((v) => clock(v).replace(/\.0$/, "")) },
        { label: unit, size: 60 },
      ],
      series: [
        { label: "time", value: (u, v) => clock(v) },
        ...parties.map((p) => ({
          label: p + " " + series.replace("_", " "),
          stroke: COLORS[p],
          width: 1.5,
          spanGaps: false,
          value: (u, v) => (v == null ? "–" : v.toFixed(series === "loudness_db" ? 1 : 0)),
        })),
      ],
    };
    const data = [tl.t, ...parties.map((p) => tl.parties[p][series])];
    const u = new uPlot(opts, data, el);
    const playhead = document.createElement("div");
    playhead.className = "playhead";
    u.over.appendChild(playhead);
    u.over.addEventListener("click", () => {
      if (u.cursor.left != null && u.cursor.left >= 0) seek(u.posToVal(u.cursor.left, "x"));
    });
    state.charts[series] = { u, playhead, parties };
    return u;
  }
  pitch = chart("chart-pitch", "pitch_hz", "pitch (Hz)", 170);
  chart("chart-loudness", "loudness_db", "loudness (dB)", 140);
  chart("chart-pace", "rate_wpm", "pace (wpm)", 120);

  // Markers: one button per event, in a lane aligned with the charts' plotting area.
  const KINDS = ["arousal", "interruption", "backchannel", "silence", "feeling"];
  function placeMarkers() {
    if (!pitch || !pitch.over) return;
    lane.style.marginLeft = pitch.over.offsetLeft + "px";
    lane.style.width = pitch.over.offsetWidth + "px";
  }
  KINDS.forEach((kind, row) => {
    const label = document.createElement("span");
    label.className = "lane-label";
    label.textContent = kind;
    label.style.top = 14 * row + "px";
    label.setAttribute("aria-hidden", "true");
    lane.appendChild(label);
  });
  for (const m of view.markers) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "seek marker mk " + m.kind + (m.speaker ? " by-" + m.speaker : "");
    b.dataset.t = m.start;
    const span = duration || 1;
    b.style.left = (100 * m.start) / span + "%";
    b.style.width = "max(6px, " + (100 * Math.max(0, m.end - m.start)) / span + "%)";
    b.style.top = 14 * KINDS.indexOf(m.kind) + "px";
    b.title = clock(m.start) + " " + m.label;
    b.setAttribute("aria-label", clock(m.start) + ", " + m.label);
    lane.appendChild(b);
  }
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      for (const c of Object.values(state.charts)) c.u.setSize({ width: width(), height: c.u.height });
      placeMarkers();
      highlight();
    }, 100);
  });

  Promise.all(readies).then(() => {
    placeMarkers();
    highlight();
    performance.mark("callscope:rendered");
    state.renderedMs = performance.now();
  });
})();
