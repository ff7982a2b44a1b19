"""Load time of the call review page in real headless Chromium, for long calls.

Builds a ``--minutes`` stereo call from the fixtures, analyses it through
``callscope serve`` (embedded Redis, one worker), logs in with Playwright and
opens its review page ``--loads`` times with a warm cache, as a coach moving
between calls would. For each load it reads, in the browser:

* ``domContentLoaded`` and ``load`` from the Navigation Timing entry (ms from
  the start of navigation);
* ``rendered``: when the page's script had drawn the three charts, the
  markers and the transcript (``performance.mark("callscope:rendered")``);

and the size of the HTML (the embedded data included). Prints the median and
the worst of each. A screenshot of the page goes to ``bench/out/``.

Run: ``.venv/bin/python -m bench.pages --minutes 10`` (``make bench-pages``).
Needs Chromium (``scripts/install_chromium.sh``).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time

import requests

from bench.load import served
from bench.run import OUT, build_call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", default="10", help="call lengths, comma-separated, e.g. 10,60")
    parser.add_argument("--loads", type=int, default=10)
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if not chromium:
        raise SystemExit("chromium is not installed: run scripts/install_chromium.sh")
    from playwright.sync_api import sync_playwright

    with served(1) as (base, headers, key, _ready):
        calls = {}
        for minutes in (float(m) for m in args.minutes.split(",")):
            audio = build_call(minutes, suffix="_stereo.flac", fmt="flac", name=f"pages_{minutes:g}min.flac")
            with audio.open("rb") as f:
                r = requests.post(
                    f"{base}/v1/calls",
                    headers=headers,
                    files={"audio": f},
                    data={"agent_channel": "left", "agent_id": "bench"},
                    timeout=300,
                )
            r.raise_for_status()
            calls[minutes] = r.json()
        for minutes, call in calls.items():
            t0 = time.perf_counter()
            while (status := requests.get(call["status_url"], headers=headers, timeout=30).json())["status"] not in (
                "done",
                "failed",
            ):
                time.sleep(2)
            if status["status"] != "done":
                raise SystemExit(f"the {minutes:g}-minute call failed: {status['error']}")
            print(f"{minutes:g}-minute call analysed (waited {time.perf_counter() - t0:.0f} s)")

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(f"{base}/login")
            page.fill("#api_key", key)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/calls")
            print(f"Chromium {browser.version}, headless, loopback; {args.loads} loads per call, warm cache")
            for minutes, call in calls.items():
                url = f"{base}/calls/{call['id']}"
                figures: dict[str, list[float]] = {"domContentLoaded": [], "load": [], "rendered": []}
                size = 0
                for _ in range(args.loads):
                    response = page.goto(url, wait_until="load")
                    size = len(response.body())
                    page.wait_for_function("window.callscope && window.callscope.renderedMs !== null")
                    nav = page.evaluate(
                        """() => { const n = performance.getEntriesByType('navigation')[0];
                        const r = performance.getEntriesByName('callscope:rendered')[0];
                        return {domContentLoaded: n.domContentLoadedEventEnd, load: n.loadEventEnd,
                                rendered: r ? r.startTime : null}; }"""
                    )
                    for name in figures:
                        figures[name].append(nav[name])
                points = page.evaluate("window.callscope.charts.pitch_hz.u.data[0].length")
                words = page.evaluate("window.callscope.words.length")
                OUT.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(OUT / f"review_{minutes:g}min.png"), full_page=True)
                cells = ", ".join(
                    f"{name} p50 {statistics.median(v):.0f} ms (max {max(v):.0f})" for name, v in figures.items()
                )
                print(
                    f"{minutes:g}-minute call: HTML {size / 1024:.0f} KiB, {points} timeline points per series, "
                    f"{words} words; {cells}"
                )
            browser.close()


if __name__ == "__main__":
    main()
