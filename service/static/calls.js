// The calls page: rows of calls still queued or processing follow their status live, and the page
// reloads once one of them is finished, so that its duration and verdict badges appear.
"use strict";
(function () {
  const rows = [...document.querySelectorAll("tr[data-status=queued], tr[data-status=processing]")];
  if (!rows.length) return;
  const tick = async () => {
    for (const row of rows) {
      let s;
      try {
        s = await (await fetch("/v1/calls/" + row.dataset.callId, { credentials: "same-origin" })).json();
      } catch (e) { continue; } // the API restarting: try again at the next tick
      if (s.status === "done" || s.status === "failed") return location.reload();
      const cell = row.querySelector(".status");
      cell.className = "status " + s.status;
      cell.textContent = s.status + (s.status === "processing" ? " " + Math.round(s.progress) + " %" : "");
    }
    setTimeout(tick, 3000);
  };
  setTimeout(tick, 3000);
})();
