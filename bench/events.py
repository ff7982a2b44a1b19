"""Turn-taking events and verdicts on every fixture call, detected against labelled.

Prints, per call and version, the interruptions by each party, the agent's
backchannels and the customer's backchannels (detected/labelled), the agent's
arousal events, and each verdict with ok or WRONG against the call's labels.

Run: ``.venv/bin/python -m bench.events`` (part of ``make bench``).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from audio_features.config import Settings, apply_offline_environment

CALLS = Path(__file__).resolve().parent.parent / "fixtures" / "calls"
NAMES = ("support_call", "callback_call", "interrupting_agent", "listening_agent", "agitated_agent", "upset_customer")
VERDICTS = ("listened_without_interrupting", "stayed_calm", "acknowledged_feelings")
VERSIONS = ("_stereo.flac", "_8k_mulaw.wav", "_mono.flac", "_mono_8k_mulaw.wav")


def main() -> None:
    apply_offline_environment()
    warnings.simplefilter("ignore")
    from analysis.pipeline import analyze_file
    from analysis.report import build_report

    settings = Settings.from_env()
    print(
        f"{'call':34s} {'agent cut-ins':>13s} {'cust. cut-ins':>13s} {'agent bc':>8s} {'cust. bc':>8s} "
        f"{'agent arousal':>13s}  listened / calm / acknowledged"
    )
    for name in NAMES:
        labels = json.loads((CALLS / f"{name}.labels.json").read_text())
        events = labels["events"]

        def count(kind, by, evs=events):
            return sum(1 for e in evs if e["type"] == kind and e["by"] == by)

        for suffix in VERSIONS:
            report = build_report(analyze_file(CALLS / f"{name}{suffix}", settings)).to_json()
            m = report["metrics"]
            cells = [
                f"{m['interruptions']['agent']['count']}/{count('interruption', 'agent')}",
                f"{m['interruptions']['customer']['count']}/{count('interruption', 'customer')}",
                f"{m['backchannels']['agent']}/{count('backchannel', 'agent')}",
                f"{m['backchannels']['customer']}/{count('backchannel', 'customer')}",
                f"{m['agent_arousal']['aroused_s']:.0f} s",
            ]
            verdicts = []
            for v in VERDICTS:
                got = report["verdicts"][v]["result"]
                verdicts.append(f"{got} ({'ok' if got == labels['expected'][v] else 'WRONG'})")
            print(
                f"{name + suffix:34s} {cells[0]:>13s} {cells[1]:>13s} {cells[2]:>8s} {cells[3]:>8s} {cells[4]:>13s}  "
                + " / ".join(verdicts)
            )


if __name__ == "__main__":
    main()
