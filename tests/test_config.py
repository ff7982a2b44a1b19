"""Settings from the environment, validated with plain messages."""

from __future__ import annotations

import os

import pytest

from audio_features.config import Settings, apply_offline_environment
from audio_features.errors import ConfigError


def test_defaults():
    s = Settings.from_env({})
    assert (s.whisper_model, s.compute_type, s.beam_size, s.agent_channel) == ("base", "int8", 5, "auto")
    assert s.max_duration_s == 3 * 3600
    assert s.cpu_threads >= 1
    assert s.cache_dir


def test_environment_and_overrides():
    env = {"CALLSCOPE_WHISPER_MODEL": "tiny.en", "CALLSCOPE_BEAM_SIZE": "2", "CALLSCOPE_MAX_DURATION_S": "60"}
    s = Settings.from_env(env, beam_size=3, language=None)
    assert (s.whisper_model, s.beam_size, s.max_duration_s) == ("tiny.en", 3, 60.0)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CALLSCOPE_BEAM_SIZE": "0"}, "beam_size: please enter a value of 1 or more"),
        ({"CALLSCOPE_BEAM_SIZE": "five"}, "CALLSCOPE_BEAM_SIZE='five': please enter a whole number"),
        ({"CALLSCOPE_AGENT_CHANNEL": "middle"}, "agent_channel: please enter 'auto', 'left' or 'right'"),
        ({"CALLSCOPE_COMPUTE_TYPE": "int4"}, "not a CTranslate2 compute type"),
        ({"CALLSCOPE_MAX_DURATION_S": "-1"}, "max_duration_s: please enter a value greater than 0"),
    ],
)
def test_bad_values(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_offline_by_default_with_opt_out(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    apply_offline_environment()
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["PYANNOTE_METRICS_ENABLED"] == "false"
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    apply_offline_environment()
    assert os.environ["HF_HUB_OFFLINE"] == "0"
