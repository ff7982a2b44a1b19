"""callscope against a do-it-yourself faster-whisper + pyannote pipeline (:mod:`bench.peer`), side by side.

Issue 19. Both run on the same files, one after the other, on this machine, in two shapes:

* ``worker``: one long-lived process per pipeline analyses every file in turn with its models loaded once
  (an RQ worker; callscope's is ``analysis.pipeline.analyze_file`` in a loop, after
  ``workers.worker.preload_models`` as ``callscope worker`` runs it). Seconds per call exclude model
  loading, which is printed apart for both.
* ``cli``: one process per file (``callscope analyze FILE`` against ``python bench/peer.py FILE``); seconds
  per call are the process's wall time, start-up, imports and model loading included.

The files: the real calls of ``../shared/data/real`` (bank calls of about 1 minute and car-repair calls of
about 4, each as its stereo file and its mono mix) and a 5-minute call built from the fixtures
(:func:`bench.run.build_call`, stereo and mono). Per file and pipeline it prints seconds, peak RSS of the
process (MB), DER (collar 0.25 s) and speaker-attributed WER against the real calls' labels
(:mod:`bench.reference`; the 5-minute call has no reference here). The peer does not know who the agent
is, so it is given the labelling of its two speakers that scores best against the reference (an oracle,
in its favour). Then, per group (shape, length, mode): calls per hour (3,600 / mean seconds per call),
peak RSS, mean DER and WER, and callscope's speed as a multiple of the peer's.

Run: ``make bench-peer`` (``.venv/bin/python -m bench.versus``); ``--shapes``, ``--groups`` and
``--threads`` narrow it. Exits 0 with a note when the real calls are absent (only the 5-minute call runs).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

from bench.real import _fmt
from bench.reference import attributed_wer, der, real_calls

ROOT = Path(__file__).resolve().parent.parent
PEER = Path(__file__).resolve().parent / "peer.py"


def _files(groups: set[str]) -> list[tuple[str, str, Path, object]]:
    """(group, mode, path, real call or None): 1-minute bank calls, 4-minute car repairs, a 5-minute call."""
    out = []
    for call in real_calls():
        group = {"bank": "1min", "car_repair": "4min"}.get(call.kind)
        if group in groups:
            out += [(group, mode, path, call) for mode, path in call.files.items()]
    if "5min" in groups:
        from bench.run import build_call

        for mode in ("stereo", "mono"):
            suffix = "_stereo.flac" if mode == "stereo" else "_mono.flac"
            out.append(("5min", mode, build_call(5, suffix=suffix, fmt="flac", name=f"call_5min_{mode}.flac"), None))
    return out


def _tree_rss_peak(pid: int, stop: threading.Event, peak: list[float]) -> None:
    """Sample the summed RSS of ``pid`` and its descendants every 20 ms into ``peak[0]`` (MB): a one-off
    callscope analysis diarizes in a child process, and the kernel's rusage gives the largest single
    process, not what the processes held at once."""
    import psutil

    try:
        root = psutil.Process(pid)
    except psutil.Error:
        return
    while not stop.wait(0.02):
        total = 0
        try:
            for proc in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_info().rss
        except psutil.Error:
            return
        peak[0] = max(peak[0], total / 2**20)


def _run(cmd: list[str], threads: int) -> tuple[list[str], float, float]:
    """Run ``cmd`` on ``threads`` threads; its stdout lines, wall seconds and peak RSS (MB): the larger of the
    kernel's rusage of the child and the summed RSS of its process tree, sampled."""
    started = time.perf_counter()
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "HF_HUB_OFFLINE": "1", "PYANNOTE_METRICS_ENABLED": "false"}
    env["CALLSCOPE_CPU_THREADS"] = str(threads)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT, env=env)
    stop, peak = threading.Event(), [0.0]
    sampler = threading.Thread(target=_tree_rss_peak, args=(proc.pid, stop, peak), daemon=True)
    sampler.start()
    lines = proc.stdout.read().splitlines()
    stop.set()
    sampler.join()
    _, status, usage = os.wait4(proc.pid, 0)
    if status:
        raise SystemExit(f"{' '.join(cmd[:4])} ... failed ({status})")
    return lines, time.perf_counter() - started, max(usage.ru_maxrss / 1024, peak[0])


def _peer_cmd(paths: list[Path], threads: int) -> list[str]:
    from audio_features.config import Settings
    from audio_features.model_store import campplus_checkpoint, segmentation_checkpoint, whisper_model_path

    models = Settings.from_env().models
    return [
        sys.executable, str(PEER), "--whisper", whisper_model_path(models), "--segmentation",
        str(segmentation_checkpoint(models)), "--campplus", str(campplus_checkpoint(models)),
        "--threads", str(threads), *map(str, paths),
    ]  # fmt: skip


def _peer_report(result: dict, call) -> dict:
    """The peer's output in the report's shape, its speakers labelled agent/customer as scores best."""
    labels = [s["label"] for s in result["speakers"]] or ["none"]
    best = None
    for roles in itertools.permutations(["agent", "customer"] + ["other"] * max(0, len(labels) - 2), len(labels)):
        role_of = dict(zip(labels, roles, strict=True))
        report = {
            "speakers": [
                {"role": role_of[s["label"]], "source": s["label"], "segments": s["segments"]}
                for s in result["speakers"]
            ],
            "turns": [{**t, "speaker": role_of.get(t["speaker"], "other")} for t in result["turns"]],
        }
        score = (attributed_wer(call, report) or 0) + (der(call, report) or 0) if call else 0
        if best is None or score < best[0]:
            best = (score, report)
    return best[1]


def _score(call, report: dict) -> tuple[float | None, float | None]:
    return (der(call, report), attributed_wer(call, report)) if call is not None else (None, None)


def _worker_child(paths: list[str]) -> None:
    """In the child: callscope as a worker, every file in turn with its models loaded once."""
    from audio_features.config import Settings, apply_offline_environment

    apply_offline_environment()
    warnings.simplefilter("ignore")
    started = time.perf_counter()
    from analysis.pipeline import analyze_file
    from analysis.report import build_report
    from workers.worker import preload_models

    settings = Settings.from_env()
    preload_models(settings)  # as `callscope worker` does before its first job
    imports_s = time.perf_counter() - started
    for i, path in enumerate(paths):
        t0 = time.perf_counter()
        report = build_report(analyze_file(path, settings)).to_json()
        row = {"file": path, "seconds": time.perf_counter() - t0, "report": report}
        if i == 0:
            row["load_s"] = imports_s
        print(json.dumps(row), flush=True)


def _callscope(shape: str, files: list, threads: int) -> list[dict]:
    if shape == "worker":
        child = [sys.executable, "-m", "bench.versus", "--worker-child", *[str(f[2]) for f in files]]
        lines, _, rss = _run(child, threads)
        rows = [json.loads(x) for x in lines if x.startswith("{")]
        return [{"seconds": r["seconds"], "rss": rss, "report": r["report"], "load_s": r.get("load_s")} for r in rows]
    out = []
    for f in files:
        lines, wall, rss = _run([sys.executable, "-m", "cli.main", "analyze", str(f[2]), "--format", "json"], threads)
        out.append({"seconds": wall, "rss": rss, "report": json.loads("\n".join(lines))})
    return out


def _peer(shape: str, files: list, threads: int) -> list[dict]:
    if shape == "worker":
        lines, _, rss = _run(_peer_cmd([f[2] for f in files], threads), threads)
        rows = [json.loads(x) for x in lines if x.startswith("{")]
    else:
        rows, rss_each = [], []
        for f in files:
            lines, wall, rss = _run(_peer_cmd([f[2]], threads), threads)
            rows.append({**json.loads(lines[-1]), "seconds": wall})
            rss_each.append(rss)
    return [
        {
            "seconds": r["seconds"],
            "rss": rss if shape == "worker" else rss_each[i],
            "report": _peer_report(r, files[i][3]),
            "load_s": r.get("load_s"),
        }
        for i, r in enumerate(rows)
    ]


def _mean(xs: list) -> float | None:
    xs = [x for x in xs if x is not None]
    return statistics.fmean(xs) if xs else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shapes", default="worker,cli")
    parser.add_argument("--groups", default="1min,4min,5min", help="1min (bank), 4min (car repair), 5min")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "out" / "versus.json")
    parser.add_argument("--worker-child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker_child:
        _worker_child(args.worker_child)
        return 0
    import soundfile as sf

    files = _files(set(args.groups.split(",")))
    if not any(f[3] for f in files):
        print("../shared/data/real is absent: only the 5-minute call runs, with no DER or WER.")
    rows = []
    print(f"{'shape':6s} {'group':5s} {'mode':6s} {'file':34s} {'pipeline':9s} {'s':>7s} {'RTF':>6s} "
          f"{'RSS MB':>6s} {'DER':>6s} {'WER':>6s}")  # fmt: skip
    for shape in args.shapes.split(","):
        for name, run in (("callscope", _callscope), ("peer", _peer)):
            results = run(shape, files, args.threads)
            # One-off processes: their loading is inside each call's wall time, as the module docstring says.
            if shape == "worker" and results and results[0].get("load_s") is not None:
                load = f"model loading {results[0]['load_s']:.1f} s before the first call (not in s below)"
                print(f"{shape:6s} {name}: {load}")
            for (group, mode, path, call), r in zip(files, results, strict=True):
                d, w = _score(call, r["report"])
                duration = sf.info(str(path)).duration
                row = {"shape": shape, "group": group, "mode": mode, "file": path.name, "pipeline": name}
                row |= {"seconds": r["seconds"], "rss_mb": r["rss"], "der": d, "wer": w, "duration_s": duration}
                rows.append(row)
                rtf = r["seconds"] / duration if duration else None
                print(f"{shape:6s} {group:5s} {mode:6s} {path.name[:34]:34s} {name:9s} {r['seconds']:7.1f} "
                      f"{_fmt(rtf):>6s} {r['rss']:6.0f} {_fmt(d):>6s} {_fmt(w):>6s}", flush=True)  # fmt: skip
    print("\nper group: calls per hour (one process, 2 cores), peak RSS, mean DER and WER")
    for shape, group, mode in sorted({(r["shape"], r["group"], r["mode"]) for r in rows}):
        sel = {p: [r for r in rows if (r["shape"], r["group"], r["mode"], r["pipeline"]) == (shape, group, mode, p)]
               for p in ("callscope", "peer")}  # fmt: skip
        if not all(sel.values()):
            continue
        per_hour = {p: 3600 / _mean([r["seconds"] for r in v]) for p, v in sel.items()}
        parts = [
            f"{p} {per_hour[p]:6.1f}/h {max(r['rss_mb'] for r in v):5.0f} MB DER {_fmt(_mean([r['der'] for r in v]))} "
            f"WER {_fmt(_mean([r['wer'] for r in v]))}"
            for p, v in sel.items()
        ]
        speed = per_hour["callscope"] / per_hour["peer"]
        print(f"{shape:6s} {group:5s} {mode:6s} {' | '.join(parts)} | callscope {speed:.2f}x")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
