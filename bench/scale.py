"""The service's throughput by layout: calls per hour with 1, 2 and 4 worker processes at 1 and 2 threads each.

For each call mode (a 5-minute stereo or mono call, :func:`bench.run.build_call`) and each layout (worker
processes x CPU threads per worker, ``CALLSCOPE_CPU_THREADS``), starts ``callscope serve`` on a fresh data
directory (:func:`bench.load.served`: embedded Redis, SQLite), uploads ``--per-worker`` calls per worker (at
least ``--min-calls``) at once and waits until every one is done. Prints, per layout:

* the wall time from the first upload to the last call done, model loading in each worker included (a
  worker loads its models on its first call and keeps them);
* calls per hour, and calls per day per core (calls per hour x 24 / the machine's cores): the sizing unit
  of the README;
* the median analysis time of one call under that load (the report's ``timings.total_s``);
* the peak memory of the service's processes (API, workers, embedded Redis): their summed proportional
  set size, sampled every 100 ms.

Then the best layout per mode. Run ``.venv/bin/python -m bench.scale`` (``make bench-scale``); nothing else
should run on the machine meanwhile. The figures are in ``bench/RESULTS.md`` and the README's sizing table.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.load import served
from bench.run import build_call

CORES = len(os.sched_getaffinity(0))


@dataclass(frozen=True)
class Layout:
    """One service layout's figures under a full queue."""

    mode: str
    workers: int
    threads: int
    calls: int
    wall_s: float
    analysis_s: float
    peak_memory_mb: float

    @property
    def calls_per_hour(self) -> float:
        return self.calls / self.wall_s * 3600

    @property
    def calls_per_day_per_core(self) -> float:
        return self.calls_per_hour * 24 / CORES


def _children_memory_peak(stop: threading.Event, peak: list[float]) -> None:
    """Sample the summed proportional set size (PSS: each shared page split between the processes that map it, so
    that forked processes are not counted twice) of this process's descendants, the service, every 100 ms into
    ``peak[0]``, MB."""
    import psutil

    me = psutil.Process()
    while not stop.wait(0.1):
        total = 0
        for proc in me.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += proc.memory_full_info().pss
        peak[0] = max(peak[0], total / 2**20)


def measure(audio: Path, mode: str, workers: int, threads: int, calls: int) -> Layout:
    """Upload ``calls`` copies of ``audio`` to a service of ``workers`` workers on ``threads`` threads each."""
    with served(workers, CALLSCOPE_CPU_THREADS=str(threads)) as (base, headers, _key, _ready):
        payload = audio.read_bytes()
        stop, peak = threading.Event(), [0.0]
        sampler = threading.Thread(target=_children_memory_peak, args=(stop, peak), daemon=True)
        sampler.start()
        fields = {"agent_channel": "left"} if mode == "stereo" else {}

        def upload(i: int) -> str:
            r = requests.post(
                f"{base}/v1/calls",
                headers=headers,
                files={"audio": (audio.name, payload)},
                data={"external_id": f"SCALE-{i}", **fields},
                timeout=300,
            )
            r.raise_for_status()
            return r.json()["id"]

        started = time.perf_counter()
        with ThreadPoolExecutor(min(calls, 8)) as pool:
            ids = list(pool.map(upload, range(calls)))
        while True:
            page = requests.get(f"{base}/v1/calls", headers=headers, params={"limit": 200}, timeout=30).json()
            statuses = [c["status"] for c in page["items"]]
            if "failed" in statuses:
                raise SystemExit(f"a call failed with {workers} workers x {threads} threads: see the service log")
            if statuses.count("done") == calls:
                break
            time.sleep(1)
        wall = time.perf_counter() - started
        stop.set()
        sampler.join()
        totals = [
            requests.get(f"{base}/v1/calls/{i}/report", headers=headers, timeout=30).json()["timings"]["total_s"]
            for i in ids
        ]
    return Layout(mode, workers, threads, calls, wall, statistics.median(totals), peak[0])


def _print(row: Layout) -> None:
    print(
        f"{row.mode:6s} {row.workers} worker(s) x {row.threads} thread(s): {row.calls} calls in {row.wall_s:6.0f} s, "
        f"{row.calls_per_hour:5.1f} calls/h, {row.calls_per_day_per_core:6.0f} calls/day/core; one call's analysis "
        f"{row.analysis_s:5.1f} s (median); service peak memory (PSS) {row.peak_memory_mb:6.0f} MB",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", default="stereo,mono")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--per-worker", type=int, default=2, help="calls queued per worker process")
    parser.add_argument("--min-calls", type=int, default=4)
    args = parser.parse_args(argv)
    print(f"machine: {CORES} cores; {args.minutes:g}-minute calls, FLAC")
    best: dict[str, Layout] = {}
    for mode in args.modes.split(","):
        suffix = "_stereo.flac" if mode == "stereo" else "_mono.flac"
        audio = build_call(args.minutes, suffix=suffix, fmt="flac", name=f"call_{args.minutes:g}min_{mode}.flac")
        for workers in (int(w) for w in args.workers.split(",")):
            for threads in (int(t) for t in args.threads.split(",")):
                calls = max(args.min_calls, args.per_worker * workers)
                row = measure(audio, mode, workers, threads, calls)
                _print(row)
                if mode not in best or row.calls_per_hour > best[mode].calls_per_hour:
                    best[mode] = row
    for mode, row in best.items():
        print(f"best for {mode}: {row.workers} worker(s) x {row.threads} thread(s)")
        _print(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
