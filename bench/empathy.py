"""The verdict "acknowledged feelings" on the written exchange sets, and the stage's speed.

Prints, for the development set (``tests/data/empathy_dev.json``, used to set
the thresholds) and the held-out set (``tests/data/empathy_holdout.json``):
verdict accuracy, the confusion counts, and precision and recall of feeling
detection and of acknowledgement. Then the time to judge all exchanges with
the model loaded, per exchange.

Run: ``.venv/bin/python -m bench.empathy`` (part of ``make bench``).
"""

from __future__ import annotations

import collections
import json
import time
from pathlib import Path

from audio_features.config import Settings, apply_offline_environment

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def _pr(pairs: list[tuple[bool, bool]]) -> str:
    tp = sum(1 for e, g in pairs if e and g)
    precision, recall = tp / max(1, sum(g for _, g in pairs)), tp / max(1, sum(e for e, _ in pairs))
    return f"precision {precision:.3f} recall {recall:.3f}"


def main() -> None:
    apply_offline_environment()
    from analysis.verdicts import acknowledged_feelings
    from audio_features.acknowledgements import find_acknowledgements
    from audio_features.empathy import find_feelings
    from audio_features.sentence_model import load_empathy_model
    from audio_features.transcript_file import turns_from_records

    settings = Settings.from_env()
    started = time.perf_counter()
    model = load_empathy_model(settings.models)
    print(f"model load (imports included): {time.perf_counter() - started:.2f} s")
    for name in ("empathy_dev.json", "empathy_holdout.json"):
        exchanges = json.loads((DATA / name).read_text())["exchanges"]
        rows, started = [], time.perf_counter()
        for e in exchanges:
            turns = turns_from_records(
                [
                    {"speaker": "customer", "start": 0.0, "end": 5.0, "text": e["customer"]},
                    {"speaker": "agent", "start": 5.5, "end": 10.0, "text": e["agent"]},
                ]
            )
            acks = find_acknowledgements(find_feelings(turns, model, settings.empathy), turns, model, settings.empathy)
            rows.append((e["expected"], acknowledged_feelings(acks, settings).result.value))
        per = (time.perf_counter() - started) / len(rows)
        accuracy = sum(a == b for a, b in rows) / len(rows)
        print(f"{name}: {len(rows)} exchanges, accuracy {accuracy:.3f}, {per * 1000:.0f} ms per exchange")
        print("  confusion (expected -> got):", dict(sorted(collections.Counter(rows).items())))
        print("  feeling detection:", _pr([(e != "not_applicable", g != "not_applicable") for e, g in rows]))
        print("  acknowledgement:  ", _pr([(e == "passed", g == "passed") for e, g in rows if e != "not_applicable"]))


if __name__ == "__main__":
    main()
