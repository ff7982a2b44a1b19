"""Test fixtures. Every analysis uses the real models; results are cached per session."""

from __future__ import annotations

import os

import pytest

from audio_features.config import Settings, apply_offline_environment

apply_offline_environment()

# The service harness's fixtures (service, recordings, receiver), for every test module that asks for them.
from service_harness import real_report, receiver, recordings, service  # noqa: E402, F401


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
def analyze(settings):
    """analyze(path, **options) -> report dict, cached per (path, options) for the session.

    Options that name a setting (``agent_channel="left"``) override it; the rest go to ``analyze_file``.
    """
    from dataclasses import replace

    from analysis.pipeline import analyze_file
    from analysis.report import build_report

    cache: dict = {}
    names = set(Settings.field_names())

    def run(path, **options):
        key = (str(path), tuple(sorted(options.items())))
        if key not in cache:
            overrides = {k: v for k, v in options.items() if k in names}
            rest = {k: v for k, v in options.items() if k not in names}
            cache[key] = build_report(analyze_file(path, replace(settings, **overrides), **rest)).to_json()
        return cache[key]

    return run


@pytest.fixture
def cli_env(tmp_path):
    """Environment for running the real `callscope` command in a subprocess."""
    return {**os.environ, "PYTHONWARNINGS": "ignore"}


@pytest.fixture(scope="session")
def model(settings):
    """The empathy stage's sentence model (all-MiniLM-L6-v2 with the exemplars), loaded once."""
    from audio_features.sentence_model import load_empathy_model

    return load_empathy_model(settings.models)
