"""Benchmark the whole pipeline on a ~5-minute two-party call, stereo and mono.

Builds the call from the committed fixtures (each fixture call repeated, with
pauses, until the target length), writes it to ``bench/out/``, and analyses
each version in a fresh process, so that model loading and peak memory are
measured as a user's ``callscope analyze`` would see them.

Prints seconds per stage and the real-time factor (processing s / audio s),
for a cold run (models loaded inside the ``separate`` and ``transcribe``
stages, as in a one-off ``callscope analyze``) and a warm one (models already
loaded, as in a worker), plus the peak resident memory of the analysing
process after the cold run.

Run: ``make bench`` (or ``.venv/bin/python -m bench.run --minutes 5``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from audio_features.decode import decode_file
from fixtures.audio_files import write_audio

ROOT = Path(__file__).resolve().parent.parent
CALLS = ROOT / "fixtures" / "calls"
OUT = ROOT / "bench" / "out"
SOURCES = ("support_call", "interrupting_agent", "callback_call", "listening_agent", "agitated_agent", "upset_customer")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def build_call(minutes: float, *, suffix: str, fmt: str, name: str) -> Path:
    """Concatenate fixture calls (``<name><suffix>``) to ``minutes`` and write them as ``fmt``."""
    pieces = [decode_file(CALLS / f"{src}{suffix}", max_duration_s=3600) for src in SOURCES]
    target = int(minutes * 60 * 16000)
    out, i = [], 0
    total = 0
    while total < target:
        samples = pieces[i % len(pieces)].samples
        out.append(samples)
        total += samples.shape[1]
        i += 1
    audio = np.concatenate(out, axis=1)[:, :target]
    OUT.mkdir(parents=True, exist_ok=True)
    return write_audio(OUT / name, audio, 16000, fmt)


def _child(path: str, extra: list[str]) -> None:
    """Run in the child: analyse twice (cold, then with models loaded, as a worker would) and print figures."""
    from cli.main import main

    report_path = Path(path).with_suffix(".report.json")
    figures = {}
    for run in ("cold", "warm"):
        code = main(["analyze", path, "-o", str(report_path), *extra])
        if code:
            raise SystemExit(code)
        figures[run] = json.loads(report_path.read_text())["timings"]
        if run == "cold":
            figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["redaction"] = _redaction_cost(Path(path), json.loads(report_path.read_text()))
    print(json.dumps(figures))


def _redaction_cost(path: Path, report: dict) -> dict:
    """Seconds of redaction on this call, as a worker runs it: finding and taking the spans out of the report's
    texts (run again here on the report), and writing the recording with them silenced. With fewer than 10
    spans found, 10 spans of 5 s are silenced, so the audio's cost is measured either way."""
    import tempfile

    from analysis.redact import redact_report
    from analysis.report_model import Report
    from audio_features.config import Settings
    from audio_features.redact_audio import redact_recording

    settings = Settings.from_env().redaction
    model = Report.model_validate(report)
    start = time.perf_counter()
    redact_report(model, settings)
    text_s = time.perf_counter() - start
    spans = [(r["start"], r["end"]) for r in report.get("redactions", [])]
    if len(spans) < 10:
        spans = [(30.0 * i + 10, 30.0 * i + 15) for i in range(10)]
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        redact_recording(path, Path(tmp) / "redacted.flac", spans, mode=settings.redact_audio)
        audio_s = time.perf_counter() - start
    return {"found": len(report.get("redactions", [])), "text_s": text_s, "audio_s": audio_s}


def run_one(path: Path, extra: list[str]) -> dict:
    start = time.perf_counter()
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--child", str(path), *extra],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=True,
    )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    figures["wall_s"] = time.perf_counter() - start
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--modes", default="stereo,mono")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args, extra = parser.parse_known_args()
    if args.child:
        _child(args.child, extra)
        return

    print(f"machine: {_cpu_model()}, {len(os.sched_getaffinity(0))} cores, Python {platform.python_version()}")
    print(f"settings: {' '.join(extra) or 'defaults'} (CALLSCOPE_* from the environment)")
    for mode in args.modes.split(","):
        suffix = "_stereo.flac" if mode == "stereo" else "_mono.flac"
        path = build_call(args.minutes, suffix=suffix, fmt="flac", name=f"call_{args.minutes:g}min_{mode}.flac")
        duration_s = decode_file(path, max_duration_s=1e5).duration_s
        f = run_one(path, extra)
        for run in ("cold", "warm"):
            t = f[run]
            stages = "  ".join(f"{k[:-2]} {v:6.2f}" for k, v in t.items() if k.endswith("_s") and k != "total_s")
            total = f"total {t['total_s']:6.2f} s  RTF {t['real_time_factor']:.3f}"
            print(f"{mode:6s} {run} {duration_s:6.1f} s audio | {stages} | {total}")
            print(
                f"{mode:6s} {run} stage RTF: measure (turn-taking + tone + arousal) "
                f"{t['measure_s'] / duration_s:.4f}, empathy {t['empathy_s'] / duration_s:.4f}"
            )
        red = f["redaction"]
        print(
            f"{mode:6s} redaction: {red['found']} span(s) found; text {red['text_s']:.3f} s, audio "
            f"{red['audio_s']:.3f} s: RTF {(red['text_s'] + red['audio_s']) / duration_s:.4f}"
        )
        print(
            f"{mode:6s} cold run with process start and imports: "
            f"RTF {(f['wall_s'] - f['warm']['total_s']) / duration_s:.3f}; "
            f"peak RSS of one analysis {f['peak_rss_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
