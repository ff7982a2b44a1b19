"""The web pages end to end, in real headless Chromium (Debian's package) driven by Playwright.

`callscope serve` runs as a user runs it (embedded Redis, SQLite, gunicorn,
one worker with the real models); the browser logs in with a real key,
uploads a fixture call through the upload page, waits for it to be analysed
and reviews it. Screenshots go to ``test-artifacts/`` (not in git).

Chromium is found with ``which chromium`` (``CALLSCOPE_CHROMIUM`` overrides);
``.ci/run`` installs it (``scripts/install_chromium.sh``). Without it these
tests are skipped, except under CI (``CI`` set), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import pytest
from helpers import CALLS, ROOT, free_port, http_ok, wait_for

pytestmark = pytest.mark.models

ARTIFACTS = ROOT / "test-artifacts"
#: axe-core, vendored for the tests only (tests/vendor/axe-core/VENDOR.md).
AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
#: The WCAG 2.1 A and AA rules of axe-core.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
CALL = CALLS / "interrupting_agent_stereo.flac"
AGENT_ID = "mark.t"


def _chromium() -> str:
    path = os.environ.get("CALLSCOPE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        message = "Chromium is not installed: run scripts/install_chromium.sh (Debian's chromium package)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`callscope serve` on a free port with a fresh data directory; yields (base URL, API key)."""
    chromium = _chromium()
    data_dir, port = tmp_path_factory.mktemp("pages") / "data", free_port()
    env = {**os.environ, "CALLSCOPE_DATA_DIR": str(data_dir), "CALLSCOPE_JOB_RETRIES": "0", "PYTHONWARNINGS": "ignore"}
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    cli = [sys.executable, "-m", "cli.main"]
    key = subprocess.run(
        [*cli, "keys", "create", "--name", "e2e", "--scope", "admin"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    serve = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: http_ok(f"{base}/healthz"), 60, "the API")
        yield base, key, chromium
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        # --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
        b = p.chromium.launch(executable_path=server[2], headless=True, args=["--no-sandbox"])
        yield b
        b.close()


def _login(page, base: str, key: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/calls")


@pytest.fixture(scope="module")
def reviewed(server, browser):
    """Log in, upload the fixture call through the upload page, wait for it to be done; yields (page, call id)."""
    base, key, _ = server
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    _login(page, base, key)
    page.goto(f"{base}/upload")
    page.select_option("#agent_channel", "left")
    page.fill("#agent_id", AGENT_ID)
    page.set_input_files("#files", str(CALL))
    row = page.locator("tr.upload-row").first
    row.locator(".status.done").wait_for(timeout=600_000)
    page.screenshot(path=str(ARTIFACTS / "upload.png"), full_page=True)
    call_id = row.get_attribute("data-call-id")
    row.get_by_role("link", name="Review").click()
    page.wait_for_url(f"{base}/calls/{call_id}")
    page.wait_for_function("window.callscope && window.callscope.renderedMs !== null")
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    page.screenshot(path=str(ARTIFACTS / "review.png"), full_page=True)
    yield page, call_id
    context.close()


def _current_time(page) -> float:
    return page.evaluate("document.getElementById('player').currentTime")


def test_review_page_draws_both_parties_and_the_markers(reviewed):
    page, _ = reviewed
    points = page.evaluate(
        """() => Object.fromEntries(Object.entries(window.callscope.charts).map(([name, c]) =>
            [name, c.parties.map((p, i) => [p, c.u.data[i + 1].filter(v => v !== null).length])]))"""
    )
    for series in ("pitch_hz", "loudness_db", "rate_wpm"):
        counts = dict(points[series])
        assert set(counts) == {"agent", "customer"}, points
        assert counts["agent"] >= 5 and counts["customer"] >= 5, points
    # uPlot drew its canvases.
    assert page.locator("#chart-pitch canvas").count() >= 1
    # Interruptions by both parties, backchannels, the silence and feeling moments, as in the fixture's labels.
    assert page.locator(".marker.interruption.by-agent").count() == 2
    assert page.locator(".marker.interruption.by-customer").count() == 1
    assert page.locator(".marker.backchannel").count() >= 2
    assert page.locator(".marker.silence").count() >= 1
    assert page.locator(".verdict").count() == 3
    assert "failed" in page.locator("#verdict-listened_without_interrupting").get_attribute("class")
    assert page.locator(".tile").count() >= 5


def test_clicking_a_word_seeks_the_audio(reviewed):
    page, _ = reviewed
    word = page.locator("#transcript .turn.customer .w").nth(5)
    start = float(word.get_attribute("data-t"))
    assert start > 3
    word.click()
    page.evaluate("document.getElementById('player').pause()")
    assert abs(_current_time(page) - start) < 0.6
    assert "now" in word.get_attribute("class")


def test_verdict_evidence_seeks_the_audio(reviewed):
    page, _ = reviewed
    link = page.locator("#verdict-listened_without_interrupting .evidence-link").first
    start = float(link.get_attribute("data-t"))
    page.evaluate("document.getElementById('player').currentTime = 0")
    link.click()
    page.evaluate("document.getElementById('player').pause()")
    assert abs(_current_time(page) - start) < 0.6
    link.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "review-evidence.png"))


def test_a_marker_seeks_the_audio_and_playback_moves_the_highlight(reviewed):
    page, _ = reviewed
    marker = page.locator(".marker.interruption.by-customer").first
    start = float(marker.get_attribute("data-t"))
    assert "customer interrupted agent" in marker.get_attribute("aria-label")
    marker.click()
    assert abs(_current_time(page) - start) < 0.6
    # Playing on: the highlighted word follows the audio.
    page.evaluate("document.getElementById('player').play()")
    page.wait_for_function(f"document.getElementById('player').currentTime > {start + 1.5}", timeout=15_000)
    page.evaluate("document.getElementById('player').pause()")
    now = page.locator("#transcript .w.now")
    assert now.count() == 1
    t = _current_time(page)
    assert float(now.get_attribute("data-t")) <= t + 0.05
    assert float(now.get_attribute("data-t")) > start - 0.5


def test_files_can_be_dropped_on_the_upload_page(server, reviewed):
    page = reviewed[0].context.new_page()  # the same session, in a second tab
    page.goto(f"{server[0]}/upload")
    data = list(CALLS.joinpath("support_call_8k_mulaw.wav").read_bytes())
    page.evaluate(
        """(bytes) => {
            const dt = new DataTransfer();
            dt.items.add(new File([new Uint8Array(bytes)], "dropped.wav", {type: "audio/wav"}));
            document.getElementById("drop").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true}));
        }""",
        data,
    )
    row = page.locator("tr.upload-row").first
    row.locator(".status.done, .status.queued, .status.processing").wait_for(timeout=60_000)
    assert "dropped.wav" in row.inner_text()
    assert row.locator("progress").evaluate("p => p.value") == 100
    page.close()


def test_keyboard_controls_move_the_playhead(reviewed):
    page, _ = reviewed
    page.evaluate("document.getElementById('player').pause(); document.getElementById('player').currentTime = 20")
    page.locator("h1").click()  # focus on the page, not in a form field
    page.keyboard.press("j")
    assert abs(_current_time(page) - 15) < 0.3
    page.keyboard.press("ArrowRight")
    assert abs(_current_time(page) - 20) < 0.3


def test_calls_list_filters_and_csv(server, reviewed):
    page, call_id = reviewed
    base = server[0]
    page.goto(f"{base}/calls?verdict=listened_without_interrupting:failed")
    assert page.locator(f"a[href='/calls/{call_id}']").count() == 1
    assert page.locator("table.calls .badge.failed").count() >= 1
    page.goto(f"{base}/calls?verdict=listened_without_interrupting:passed")
    assert page.locator(f"a[href='/calls/{call_id}']").count() == 0
    page.goto(f"{base}/calls?agent_id={AGENT_ID}")
    page.screenshot(path=str(ARTIFACTS / "calls.png"), full_page=True)
    csv = page.request.get(f"{base}/calls.csv?agent_id={AGENT_ID}")
    assert csv.status == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text().strip().splitlines()
    assert len(lines) == 2 and call_id in lines[1] and ",failed," in lines[1]


def test_the_calls_list_follows_a_call_until_it_is_done(server, reviewed):
    page = reviewed[0].context.new_page()
    base = server[0]
    page.goto(f"{base}/calls")
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    path = CALLS / "support_call_8k_mulaw.wav"
    posted = page.request.post(
        f"{base}/v1/calls",
        headers={"X-CSRF-Token": token},
        multipart={"audio": {"name": path.name, "mimeType": "audio/wav", "buffer": path.read_bytes()}},
    )
    assert posted.status == 202, posted.text()
    call_id = posted.json()["id"]
    page.goto(f"{base}/calls")
    row = page.locator(f"tr[data-call-id='{call_id}']")
    assert row.get_attribute("data-status") in ("queued", "processing")
    # No reload by the test: the page's own script follows the call and reloads when it is finished.
    page.locator(f"tr[data-call-id='{call_id}'][data-status='done']").wait_for(timeout=300_000)
    assert page.locator(f"tr[data-call-id='{call_id}'] .badge:not(.none)").count() == 3
    page.close()


def test_agent_page_shows_pass_rates_and_trends(server, reviewed):
    page, _ = reviewed
    page.goto(f"{server[0]}/agents/{AGENT_ID}")
    page.wait_for_function("window.callscopeAgent !== undefined")
    tiles = page.locator(".tile").all_inner_texts()
    assert any("listened without interrupting" in t.lower() and "0 %" in t for t in tiles), tiles
    assert page.evaluate("window.callscopeAgent.share.data[1].length") == 1
    page.screenshot(path=str(ARTIFACTS / "agent.png"), full_page=True)


def test_pages_need_a_valid_key(server, browser):
    base = server[0]
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/calls")
    assert page.url.startswith(f"{base}/login")
    page.get_by_label("API key").fill("cs_not-a-key")
    page.get_by_role("button", name="Log in").click()
    assert "not valid" in page.locator(".error").inner_text()
    # The API refuses the session-less browser too.
    assert page.request.get(f"{base}/v1/calls").status == 401
    context.close()


def test_bad_uploads_and_failed_calls_are_shown_plainly(server, browser, tmp_path):
    base, key, _ = server
    context = browser.new_context()
    page = context.new_page()
    _login(page, base, key)
    page.goto(f"{base}/upload")
    text = tmp_path / "notes.txt"
    text.write_text("not a recording\n")
    truncated = tmp_path / "cut.wav"
    truncated.write_bytes(CALLS.joinpath("support_call_8k_mulaw.wav").read_bytes()[:60])
    page.set_input_files("#files", [str(text), str(truncated)])
    rows = page.locator("tr.upload-row")
    rows.nth(0).locator(".status.failed").wait_for(timeout=30_000)
    assert "415" in rows.nth(0).inner_text()
    rows.nth(1).locator(".status.failed").wait_for(timeout=300_000)
    call_id = rows.nth(1).get_attribute("data-call-id")
    page.goto(f"{base}/calls/{call_id}")
    assert "The analysis failed" in page.locator(".card.error").inner_text()
    page.screenshot(path=str(ARTIFACTS / "failed.png"), full_page=True)
    context.close()


def _axe_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async (tags) => (await axe.run(document, {runOnly: {type: "tag", values: tags}})).violations.map(v => ({
            rule: v.id, impact: v.impact, help: v.help, where: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))""",
        AXE_TAGS,
    )


def test_every_page_passes_the_automated_wcag_checks(server, browser, reviewed):
    """axe-core's WCAG 2.1 A/AA rules (labels, names, contrast, structure) on every page, logged in or not."""
    base, call_id = server[0], reviewed[1]
    anonymous = browser.new_context()
    login = anonymous.new_page()
    login.goto(f"{base}/login")
    found = {"/login": _axe_violations(login)}
    anonymous.close()
    page = reviewed[0].context.new_page()
    for path in ("/calls", "/upload", f"/calls/{call_id}", "/agents", f"/agents/{AGENT_ID}"):
        page.goto(f"{base}{path}")
        if path.startswith("/calls/"):
            page.wait_for_function("window.callscope && window.callscope.renderedMs !== null")
        found[path] = _axe_violations(page)
    page.close()
    assert not any(found.values()), {path: v for path, v in found.items() if v}
