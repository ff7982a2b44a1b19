"""The report schema: real reports validate, and placeholders or unknown fields do not."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest
from helpers import CALLS

from analysis.report import SCHEMA_VERSION, load_schema
from analysis.report_schema import main


@pytest.fixture(scope="module")
def report(analyze):
    return analyze(CALLS / "callback_call_8k_mulaw.wav")


@pytest.mark.models
def test_report_validates(report):
    jsonschema.validate(report, load_schema())
    assert report["schema_version"] == SCHEMA_VERSION
    assert set(report["timings"]) >= {"decode_s", "separate_s", "transcribe_s", "attribute_s", "total_s"}


@pytest.mark.models
@pytest.mark.parametrize(
    "mutate",
    [
        lambda r: r["verdicts"].update(stayed_calm={"result": "passed"}),  # not measured yet: must be absent
        lambda r: r.update(tone_timeline=[]),
        lambda r: r["tone_timeline"]["parties"]["agent"].update(pitch_hz=["high"]),
        lambda r: r.update(metrics={}),
        lambda r: r["verdicts"]["listened_without_interrupting"].update(result="maybe"),
        lambda r: r["verdicts"]["listened_without_interrupting"].update(reasons=[]),
        lambda r: r["turns"][0].update(speaker="supervisor"),
        lambda r: r["call"].update(mode="quad"),
        lambda r: r["turns"][0].update(words=[]),
        lambda r: r.pop("timings"),
    ],
)
def test_schema_rejects(report, mutate):
    bad = copy.deepcopy(report)
    mutate(bad)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, load_schema())


def test_the_committed_schema_and_its_document_are_generated_from_the_model():
    """analysis/schema/report-v1.schema.json and docs/report-schema.md are what the report model gives: run
    `python -m analysis.report_schema` after changing it."""
    from analysis.report_schema import DOC_PATH, SCHEMA_PATH, json_schema, markdown

    assert json.loads(SCHEMA_PATH.read_text()) == json_schema()
    assert DOC_PATH.read_text() == markdown()
    assert main(["--check"]) == 0


def test_a_stale_copy_is_found(tmp_path, monkeypatch):
    from analysis import report_schema

    stale = tmp_path / "report-schema.md"
    stale.write_text(report_schema.markdown().replace("| `call.duration_s` |", "| `call.length` |"))
    monkeypatch.setattr(report_schema, "DOC_PATH", stale)
    assert report_schema.main(["--check"]) == 1
