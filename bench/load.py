"""Load and throughput of the service on loopback: concurrent uploads, status polls, calls per minute.

For each worker count, starts ``callscope serve`` on a fresh data directory
(embedded Redis, SQLite, gunicorn), then:

1. posts ``--uploads`` copies of a ``--minutes``-long stereo call at once
   (each with its own ``external_id``) and reports the accept latency (p50,
   p99) and that every upload got 202 with a distinct id;
2. polls call status from 20 threads for 10 s and reports requests per
   second and latency; then the same with ``wrk`` when it is installed
   (``apt-get install wrk``), a C client that leaves more CPU to the server;
3. waits until every call is ``done`` (or ``failed``) and reports the time to
   finish them all and the throughput in calls per minute;
4. reports the resident memory of the API processes (gunicorn).

Run: ``.venv/bin/python -m bench.load --uploads 50 --workers 1,2`` (part of
``make bench-service``). Nothing else should run on the machine meanwhile.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench.run import build_call

ROOT = Path(__file__).resolve().parent.parent


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0


def _wrk(url: str, headers: dict, workers: int) -> None:
    """Status polls with wrk (Debian's package), a client that does not itself compete with the GIL."""
    args = ["wrk", "-t2", "-c20", "-d10s", "--latency", *[f"-H{k}: {v}" for k, v in headers.items()], url]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rate = next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec"))
    pct = {line.split()[0]: line.split()[1] for line in out.splitlines() if line.strip().startswith(("50%", "99%"))}
    errors = next((line.strip() for line in out.splitlines() if "Non-2xx" in line), "all 2xx")
    print(
        f"workers={workers}: status polls with wrk (2 threads, 20 connections, 10 s): {float(rate):.0f} requests/s, "
        f"p50 {pct.get('50%')}, p99 {pct.get('99%')}, {errors} (workers busy)"
    )


@contextlib.contextmanager
def served(workers: int, **extra_env: str):
    """``callscope serve`` with ``workers`` workers on a fresh data directory and a free port.

    Yields ``(base URL, headers with a new API key, API key, seconds until /healthz answered)``.
    """
    data = Path(tempfile.mkdtemp(prefix="callscope-bench-"))
    # Share the cores between the workers instead of oversubscribing them, unless ``extra_env`` says otherwise.
    threads = str(max(1, len(os.sched_getaffinity(0)) // workers))
    env = {**os.environ, "CALLSCOPE_DATA_DIR": str(data), "CALLSCOPE_RATE_LIMIT_PER_MIN": "100000"}
    env = {**env, "CALLSCOPE_CPU_THREADS": threads, **extra_env}
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    cli = [sys.executable, "-m", "cli.main"]
    key = subprocess.run(
        [*cli, "keys", "create", "--name", "bench", "--scope", "admin"], env=env, capture_output=True, text=True
    )
    if key.returncode:
        raise SystemExit(f"callscope keys create failed: {key.stderr.strip()}")
    key = key.stdout.strip()
    port = _port()
    started = time.perf_counter()
    serve = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--workers", str(workers), "--api-workers", "2"],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.05)
        yield base, {"Authorization": f"Bearer {key}"}, key, time.perf_counter() - started
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=120)


def run(audio: Path, uploads: int, workers: int) -> None:
    with served(workers) as (base, headers, _key, ready_s):
        port = base.rsplit(":", 1)[1]
        payload = audio.read_bytes()

        def upload(i: int) -> tuple[float, int, str]:
            t = time.perf_counter()
            r = requests.post(
                f"{base}/v1/calls",
                headers=headers,
                files={"audio": (audio.name, payload)},
                data={"external_id": f"LOAD-{i}", "agent_channel": "left"},
                timeout=120,
            )
            return time.perf_counter() - t, r.status_code, r.json().get("id", "")

        t0 = time.perf_counter()
        with ThreadPoolExecutor(uploads) as pool:
            results = list(pool.map(upload, range(uploads)))
        accept = [r[0] for r in results]
        ids = {r[2] for r in results}
        codes = sorted({r[1] for r in results})
        print(
            f"workers={workers}: {uploads} concurrent uploads of {len(payload) / 1e6:.1f} MB: status {codes}, "
            f"{len(ids)} distinct ids; accept latency p50 {_pct(accept, 50) * 1000:.0f} ms, "
            f"p99 {_pct(accept, 99) * 1000:.0f} ms, all accepted in {time.perf_counter() - t0:.1f} s"
        )

        one = next(iter(ids))
        polls: list[float] = []
        stop = time.perf_counter() + 10

        def poll() -> None:
            session = requests.Session()
            while time.perf_counter() < stop:
                t = time.perf_counter()
                session.get(f"{base}/v1/calls/{one}", headers=headers, timeout=10)
                polls.append(time.perf_counter() - t)

        threads = [threading.Thread(target=poll) for _ in range(20)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        print(
            f"workers={workers}: status polls from 20 threads: {len(polls) / 10:.0f} requests/s, "
            f"p50 {statistics.median(polls) * 1000:.1f} ms, p99 {_pct(polls, 99) * 1000:.1f} ms (workers busy)"
        )

        if shutil.which("wrk"):
            _wrk(f"{base}/v1/calls/{one}", headers, workers)

        api_pids = subprocess.run(["pgrep", "-f", f"127.0.0.1:{port}"], capture_output=True, text=True).stdout.split()
        rss = [_rss_mb(int(p)) for p in api_pids if Path(f"/proc/{p}").exists()]
        print(
            f"workers={workers}: API processes (gunicorn master + 2 workers) RSS "
            + ", ".join(f"{r:.0f}" for r in rss)
            + " MB"
        )
        print(f"workers={workers}: API ready {ready_s:.2f} s after `callscope serve` started (embedded Redis included)")

        while True:
            page = requests.get(f"{base}/v1/calls", headers=headers, params={"limit": 200}, timeout=30).json()
            statuses = [c["status"] for c in page["items"]]
            if statuses.count("done") + statuses.count("failed") == uploads:
                break
            time.sleep(2)
        total = time.perf_counter() - t0
        print(
            f"workers={workers}: all {uploads} finished in {total:.0f} s ({statuses.count('done')} done, "
            f"{statuses.count('failed')} failed): {uploads / total * 60:.1f} calls per minute"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=50)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--minutes", type=float, default=1.0)
    args = parser.parse_args()
    audio = build_call(args.minutes, suffix="_stereo.flac", fmt="flac", name=f"load_{args.minutes:g}min.flac")
    print(f"call: {audio.name}, {args.minutes:g} min stereo FLAC; machine: {os.cpu_count()} cores")
    for n in (int(x) for x in args.workers.split(",")):
        run(audio, args.uploads, n)


if __name__ == "__main__":
    main()
