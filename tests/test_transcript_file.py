"""Transcripts instead of audio (``callscope analyze --transcript``): the file's form, its errors (exit 17)
and the analysis end to end."""

import json
import subprocess
import sys

import jsonschema
import pytest
from helpers import ROOT

from analysis.report import load_schema
from audio_features.config import Settings
from audio_features.errors import BadTranscript
from audio_features.transcript_file import load_transcript

DATA = ROOT / "tests" / "data"
SETTINGS = Settings()
CALLSCOPE = [sys.executable, "-m", "cli.main"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not valid JSON"),
        ("[]", "no turns"),
        ('[{"speaker": "agent", "start": 0}]', "needs speaker, start, end and text"),
        ('[{"speaker": "agent", "start": "x", "end": 1, "text": "hi"}]', "must be numbers"),
        ('[{"speaker": "agent", "start": 5, "end": 1, "text": "hi"}]', "0 <= start <= end"),
        ('[{"speaker": "A", "start": 0, "end": 1, "text": "hi"}]', "--agent-speaker"),
    ],
)
def test_bad_transcripts_are_refused_with_a_reason(tmp_path, content, message):
    path = tmp_path / "t.json"
    path.write_text(content)
    with pytest.raises(BadTranscript, match=message):
        load_transcript(path)


def test_transcript_labels_can_be_named(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"turns": [{"speaker": "A", "start": 0, "end": 1, "text": "Hello."}]}))
    assert load_transcript(path, agent_label="A")[0].speaker == "agent"


@pytest.mark.models
def test_transcript_end_to_end(tmp_path, cli_env):
    records = [
        {"speaker": "agent", "start": 0.0, "end": 3.0, "text": "Thanks for calling, this is Amy. How can I help?"},
        {
            "speaker": "customer",
            "start": 3.4,
            "end": 9.0,
            "text": "My card was declined at the supermarket in front of everyone. I was mortified.",
        },
        {"speaker": "agent", "start": 7.5, "end": 8.4, "text": "Right, what is the card number?"},
        {"speaker": "agent", "start": 9.5, "end": 12.0, "text": "I'll unblock it now."},
    ]
    path = tmp_path / "turns.json"
    path.write_text(json.dumps(records))
    out = tmp_path / "report.json"
    done = subprocess.run(
        [*CALLSCOPE, "analyze", "--transcript", str(path), "-o", str(out)], env=cli_env, cwd=ROOT, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    jsonschema.validate(report, load_schema())
    assert report["call"]["mode"] == "transcript" and report["call"]["sample_rate"] is None
    assert "tone_timeline" not in report and "arousal_events" not in report
    assert "stayed_calm" not in report["verdicts"]
    assert report["verdicts"]["acknowledged_feelings"]["result"] == "failed"
    [moment] = report["feeling_moments"]
    assert moment["emotion"] == "embarrassment" and not moment["acknowledged"]
    # The agent cut in at 7.5 s while the customer held the floor: turn-taking works from the given times.
    assert report["metrics"]["interruptions"]["agent"]["count"] == 1

    text = subprocess.run(
        [*CALLSCOPE, "analyze", "--transcript", str(path), "--format", "text"],
        env=cli_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert "not acknowledged" in text.stdout and "acknowledged feelings: FAILED" in text.stdout


def test_transcript_errors_exit_17(tmp_path, cli_env):
    path = tmp_path / "turns.json"
    path.write_text("{")
    done = subprocess.run(
        [*CALLSCOPE, "analyze", "--transcript", str(path)], env=cli_env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 17
    assert done.stderr.startswith("callscope: error [bad_transcript]:")
    both = subprocess.run(
        [*CALLSCOPE, "analyze", "x.wav", "--transcript", str(path)], env=cli_env, cwd=ROOT, capture_output=True
    )
    assert both.returncode == 2


# -- issue 14 ----------------------------------------------------------------------------------------------
