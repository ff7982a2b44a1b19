"""The sentence model and verdict helpers shared by the empathy tests."""

from __future__ import annotations

from analysis.verdicts import acknowledged_feelings
from audio_features.acknowledgements import find_acknowledgements
from audio_features.config import Settings
from audio_features.empathy import find_feelings
from audio_features.transcript_file import turns_from_records

SETTINGS = Settings()


def _judge(model, records: list[dict], settings: Settings = SETTINGS):
    return _judge_turns(model, turns_from_records(records), settings)


def _judge_turns(model, turns, settings: Settings = SETTINGS):
    moments = find_feelings(turns, model, settings)
    acks = find_acknowledgements(moments, turns, model, settings)
    return acknowledged_feelings(acks, settings), acks
