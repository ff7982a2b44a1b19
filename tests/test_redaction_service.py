"""Redaction through the service (issue 17): a call in which a customer reads out a card number, its expiry and
its security code (fixtures/calls/redact_tune_000_8k_mulaw.wav, from `python -m fixtures.redaction --keep
tune/redact_tune_000`), uploaded over real HTTP and analysed by a real worker. No card number may be left in
the stored report, the API, the CSV or the pages, and the stored recording must be silent over every
redacted span (measured)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import requests
from helpers import CALLS

from audio_features.redact_audio import _decode
from audio_features.spoken_numbers import said_digits
from store.db import Call, database

FIXTURE = CALLS / "redact_tune_000_8k_mulaw.wav"
LABELS = json.loads((CALLS / "redact_tune_000.labels.json").read_text())


def _said_digits(text: str) -> str:
    """The digits a labelled value says ("three seven six ..." -> "376...")."""
    out = ""
    for word in text.replace(",", " ").split():
        said = said_digits(word)
        out += said[0] if said else ""
    return out


def _strings(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    return []


def _no_card_in(text: str, card: str, spoken: str) -> None:
    assert spoken not in text
    digits_only = re.sub(r"\D", "", text)
    for i in range(len(card) - 5):  # no six digits of the card in a row, written in any way
        assert card[i : i + 6] not in digits_only, card[i : i + 6]


@pytest.mark.models
def test_a_card_read_out_on_a_call_is_nowhere_to_be_found_afterwards(service):
    card_label = next(s for s in LABELS["spans"] if s["type"] == "CARD")
    card = _said_digits(card_label["text"])
    assert len(card) == 16
    r = service.upload(FIXTURE, agent_channel="left")
    assert r.status_code == 202, r.text
    call_id = r.json()["id"]
    # While it is processing, nothing unredacted can be read.
    queued = service.get(f"/v1/calls/{call_id}/audio")
    assert queued.status_code == 409 and queued.json()["code"] == "audio_not_redacted"
    assert service.get(f"/v1/calls/{call_id}/report").status_code == 409
    with database(service.settings.database_url).session() as s:
        original_key = s.get(Call, call_id).audio_key

    done = service.run_worker()
    assert done.returncode == 0, done.stderr[-2000:]
    report = service.get(f"/v1/calls/{call_id}/report").json()
    kinds = [r["type"] for r in report["redactions"]]
    assert "CARD" in kinds, report["redactions"]
    cards = [r for r in report["redactions"] if r["type"] == "CARD"]
    assert cards[0]["start"] <= card_label["start"] + 0.3 and cards[-1]["end"] >= card_label["end"] - 0.3
    assert any("[CARD]" in t["text"] for t in report["turns"])

    # The stored row, the API's report, the CSV and the pages.
    with database(service.settings.database_url).session() as s:
        row = s.get(Call, call_id)
        stored, audio_key, kept = row.report, row.audio_key, row.original_audio_key
    for text in (" ".join(_strings(stored)), " ".join(_strings(report))):
        _no_card_in(text, card, card_label["text"])
    page = requests.Session()
    page.post(f"{service.url}/login", data={"api_key": service.key}, allow_redirects=False)
    review = page.get(f"{service.url}/calls/{call_id}").text
    assert "[CARD]" in review
    _no_card_in(review, card, card_label["text"])
    _no_card_in(page.get(f"{service.url}/calls.csv").text, card, card_label["text"])
    _no_card_in(page.get(f"{service.url}/calls").text, card, card_label["text"])

    # The stored recording: a new FLAC in place of the upload, which is gone; silent over every span.
    storage = service.app.extensions["callscope"].storage
    assert audio_key != original_key and kept is None and not storage.exists(original_key)
    audio = service.get(f"/v1/calls/{call_id}/audio")
    assert audio.status_code == 200 and audio.content[:4] == b"fLaC"
    samples, rate, _ = _decode(storage.path(audio_key))
    before, _, _ = _decode(FIXTURE)
    assert samples.shape == before.shape
    for span in report["redactions"]:
        cut = samples[:, int(span["start"] * rate) : int(span["end"] * rate)]
        assert np.all(cut == 0), span
    label_cut = before[:, int(card_label["start"] * rate) : int(card_label["end"] * rate)].astype(float)
    assert 20 * np.log10(np.sqrt(np.mean(label_cut**2)) / 32768) > -40  # the upload had the card there
    outside = slice(0, int(max(0.0, report["redactions"][0]["start"] - 0.3) * rate))
    assert np.array_equal(samples[:, outside], before[:, outside])
