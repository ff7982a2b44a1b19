// The upload page: drag and drop of one or many files, a progress bar per upload, then a live status per call.
"use strict";
(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const input = document.getElementById("files");
  const drop = document.getElementById("drop");
  const rows = document.getElementById("upload-rows");

  function cell(tr, content) {
    const td = document.createElement("td");
    if (content instanceof Node) td.appendChild(content); else td.textContent = content;
    tr.appendChild(td);
    return td;
  }

  function poll(call, status, link) {
    const tick = async () => {
      let s;
      try {
        const r = await fetch(call.status_url, { credentials: "same-origin" });
        s = await r.json();
      } catch (e) { return setTimeout(tick, 2000); }
      if (s.status === "failed") {
        status.textContent = "failed: " + (s.error ? s.error.message : "");
        status.className = "status failed";
      } else {
        status.textContent = s.status + (s.stage ? ", " + s.stage : "") + (s.status === "processing" ? " " + Math.round(s.progress) + " %" : "");
        status.className = "status " + s.status;
      }
      if (s.status === "done" || s.status === "failed") { link.hidden = false; return; }
      setTimeout(tick, 1000);
    };
    tick();
  }

  function send(file) {
    const tr = document.createElement("tr");
    tr.className = "upload-row";
    cell(tr, file.name);
    const bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    bar.setAttribute("aria-label", "Upload of " + file.name);
    cell(tr, bar);
    const status = document.createElement("span");
    status.className = "status";
    status.textContent = "uploading";
    cell(tr, status);
    const link = document.createElement("a");
    link.textContent = "Review";
    link.hidden = true;
    cell(tr, link);
    rows.appendChild(tr);

    const form = new FormData();
    form.append("audio", file, file.name);
    for (const name of ["agent_channel", "agent_id"]) {
      const v = document.getElementById(name).value.trim();
      if (v) form.append(name, v);
    }
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/v1/calls");
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = (100 * e.loaded) / e.total; };
    xhr.onerror = () => { status.textContent = "upload failed: the server could not be reached"; status.className = "status failed"; };
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
      if (xhr.status === 202 || xhr.status === 200) {
        bar.value = 100;
        tr.dataset.callId = body.id;
        link.href = "/calls/" + body.id;
        poll(body, status, link);
      } else {
        status.textContent = "refused (" + xhr.status + "): " + (body.message || xhr.statusText);
        status.className = "status failed";
      }
    };
    xhr.send(form);
  }

  input.addEventListener("change", () => { for (const f of input.files) send(f); input.value = ""; });
  ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.remove("over"); }));
  drop.addEventListener("drop", (e) => { for (const f of e.dataTransfer.files) send(f); });
})();
