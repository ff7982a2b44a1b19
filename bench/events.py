"""Turn-taking events on every fixture call, detected against labelled.

Prints, per call and version, the interruptions by each party, the
backchannels and the verdict, each as detected/labelled.

Run: ``.venv/bin/python -m bench.events`` (part of ``make bench``).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from audio_features.config import Settings, apply_offline_environment

CALLS = Path(__file__).resolve().parent.parent / "fixtures" / "calls"
NAMES = ("support_call", "callback_call", "interrupting_agent", "listening_agent")
VERSIONS = ("_stereo.flac", "_8k_mulaw.wav", "_mono.flac", "_mono_8k_mulaw.wav")


def main() -> None:
    apply_offline_environment()
    warnings.simplefilter("ignore")
    from workers.pipeline import analyze_file
    from workers.report import build_report

    settings = Settings.from_env()
    print(f"{'call':34s} {'agent cut-ins':>13s} {'customer cut-ins':>16s} {'agent backch.':>13s}  verdict")
    for name in NAMES:
        labels = json.loads((CALLS / f"{name}.labels.json").read_text())
        events = labels["events"]

        def count(kind, by, evs=events):
            return sum(1 for e in evs if e["type"] == kind and e["by"] == by)

        expected = labels["expected"]["listened_without_interrupting"]
        for suffix in VERSIONS:
            report = build_report(analyze_file(CALLS / f"{name}{suffix}", settings))
            m = report["metrics"]
            verdict = report["verdicts"]["listened_without_interrupting"]["result"]
            cells = [
                f"{m['interruptions']['agent']['count']}/{count('interruption', 'agent')}",
                f"{m['interruptions']['customer']['count']}/{count('interruption', 'customer')}",
                f"{m['backchannels']['agent']}/{count('backchannel', 'agent')}",
            ]
            mark = "ok" if verdict == expected else "WRONG"
            print(f"{name + suffix:34s} {cells[0]:>13s} {cells[1]:>16s} {cells[2]:>13s}  {verdict} ({mark})")


if __name__ == "__main__":
    main()
