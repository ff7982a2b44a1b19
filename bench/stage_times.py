"""Time of each analysis stage on the real bank calls, in one warm process.

The real-call benchmark's RTF column mixes the model load into its first
row and moves by 10-15 % from one run to the next on this machine (the
Whisper stage alone, whose code did not change, took 19.2-22.3 s over the
same four calls on four idle runs). This command loads the models once,
then analyses each bank call of ``../shared/data/real`` in stereo and mono
``--repeat`` times and prints, per mode, the seconds spent in each stage
summed over the calls, so that a change to one stage can be told apart
from run-to-run noise in another.

Run: ``.venv/bin/python -m bench.stage_times [--repeat N] [--agent-channel right]``.
Works on an older checkout too (pass ``--agent-channel`` where the agent
channel cannot be found by itself). Exits 0 with a note when the folder is absent.
"""

from __future__ import annotations

import argparse
import warnings
from collections import Counter, defaultdict

from audio_features.config import Settings, apply_offline_environment
from bench.reference import REAL_DATA, real_calls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="passes over the calls after the warm-up")
    parser.add_argument("--agent-channel", choices=("left", "right"), help="force the stereo agent channel")
    args = parser.parse_args(argv)
    calls = [c for c in real_calls() if c.kind == "bank"]
    if not calls:
        print(f"{REAL_DATA} is absent (or holds no bank calls): nothing to time.")
        return 0
    apply_offline_environment()
    warnings.simplefilter("ignore")
    from analysis.pipeline import analyze_file

    settings = Settings.from_env(**({"agent_channel": args.agent_channel} if args.agent_channel else {}))
    for path in calls[0].files.values():  # warm-up: model loads are not counted
        analyze_file(path, settings)
    totals: dict[str, Counter[str]] = defaultdict(Counter)
    audio_s: Counter[str] = Counter()
    for _ in range(args.repeat):
        for call in calls:
            for mode, path in call.files.items():
                analysis = analyze_file(path, settings)
                audio_s[mode] += analysis.source.duration_s
                totals[mode].update(analysis.timings)
    for mode, stages in totals.items():
        cells = " ".join(f"{k.removesuffix('_s')} {v:.2f}" for k, v in stages.items())
        print(f"{mode:6s} audio {audio_s[mode]:.0f} s, RTF {stages['total_s'] / audio_s[mode]:.3f}; stage s: {cells}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
