"""Warm analyses in one long-lived process: is the second to fifth call of a worker slower than the first?

Issue 19. Loads the diarization pipeline and Whisper first (in that order, as a mono call's stages load
them; the load is printed apart), then analyses the same file ``--calls`` times in the one process
(``analysis.pipeline.analyze_file``, as a worker runs jobs) and prints each call's stage seconds, the
process's CPU use over the call (cores: CPU seconds per wall second) and its voluntary context switches
(a thread going to sleep). Then the later calls' diarization (``separate``) and transcription against the
first call's. Default file: the 5-minute mono call of :mod:`bench.run`.

Run: ``.venv/bin/python -m bench.warm`` (``--file``, ``--calls``).
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings
from pathlib import Path

from audio_features.config import Settings, apply_offline_environment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, help="default: the 5-minute mono call of bench.run")
    parser.add_argument("--calls", type=int, default=5)
    args = parser.parse_args(argv)
    apply_offline_environment()
    warnings.simplefilter("ignore")
    if args.file is None:
        from bench.run import build_call

        args.file = build_call(5, suffix="_mono.flac", fmt="flac", name="call_5min_mono.flac")
    from analysis.pipeline import analyze_file
    from audio_features.diarization import load_pipeline
    from audio_features.transcription import load_whisper

    settings = Settings.from_env()
    started = time.perf_counter()
    load_pipeline(settings)
    load_whisper(settings.models)
    print(f"{args.file.name}: models loaded in {time.perf_counter() - started:.2f} s (diarization, then Whisper)")
    rows = []
    for k in range(1, args.calls + 1):
        before, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        timings = analyze_file(args.file, settings).timings
        after, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - t0
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        rows.append(timings)
        stages = "  ".join(f"{name[:-2]} {s:6.2f}" for name, s in timings.items() if name != "total_s")
        print(
            f"call {k}: {stages} | total {timings['total_s']:6.2f} s | {cpu / wall:.2f} cores, "
            f"{after.ru_nvcsw - before.ru_nvcsw} voluntary context switches",
            flush=True,
        )
    for stage in ("separate_s", "transcribe_s"):
        later = [r[stage] / rows[0][stage] for r in rows[1:]]
        if later:
            print(f"{stage[:-2]}: calls 2-{len(rows)} took {min(later):.2f}-{max(later):.2f}x the first call's")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
