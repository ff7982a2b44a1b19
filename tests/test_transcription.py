"""Mapping word times from the joined speech regions back to the call's clock, with known answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from audio_features.transcription import REGION_GAP_S, SAMPLE_RATE, WINDOW_S, _RegionClock, heard


def test_words_map_back_to_their_region():
    clock = _RegionClock([(10.0, 12.0), (20.0, 21.0)])
    # Joined audio: region 1 at 0-2 s, a 0.3 s gap, region 2 at 2.3-3.3 s.
    assert clock.word(0.5, 0.9) == pytest.approx((10.5, 10.9))
    assert clock.word(2.3 + 0.2, 2.3 + 0.6) == pytest.approx((20.2, 20.6))


def test_a_word_stretched_over_the_inserted_silence_stays_in_one_region():
    """Whisper stretched 'see' from the end of one region over the gap into the next: it cannot span both.

    Issue 14 (a fixture call): 'see.' was timed 11.49-13.88 s across two regions 1.9 s apart, which made one
    listener token and the agent's next turn one long utterance over the customer.
    """
    clock = _RegionClock([(10.0, 12.0), (20.0, 21.0)])
    # Mostly in region 1 (1.8-2.0 s there, 0 s in region 2 after the gap): kept in region 1.
    assert clock.word(1.8, 2.3 + 0.05) == pytest.approx((11.8, 12.0))
    # Mostly in region 2: kept there, from its start.
    assert clock.word(1.95, 2.3 + 0.5) == pytest.approx((20.0, 20.5))
    assert REGION_GAP_S == 0.3


def test_regions_become_whisper_windows_of_at_most_30_s():
    """Whole regions go together while they fit in a window; a longer one is cut at its quietest frame."""
    regions = [(0.0, 10.0), (12.0, 22.0), (30.0, 45.0), (50.0, 120.0)]
    clock = _RegionClock(regions)
    joined = np.full(int(clock.joined_starts[-1] + 70.0 + REGION_GAP_S) * SAMPLE_RATE, 0.1, dtype=np.float32)
    quiet = clock.joined_starts[3] + 27.0  # a pause inside the 70 s region, 3 s before its first window ends
    joined[int(quiet * SAMPLE_RATE) : int((quiet + 0.1) * SAMPLE_RATE)] = 0.0
    clips = clock.clips(joined)
    assert all(b - a <= WINDOW_S + 1e-9 for a, b in clips)
    # Regions 1 and 2 share a window (20.3 s); region 3 does not fit beside them.
    assert clips[0] == pytest.approx((0.0, 20.3))
    assert clips[1] == pytest.approx((clock.joined_starts[2], clock.joined_starts[2] + 15.0))
    # The long region: cut at its pause, then where a window ends (no quieter frame there), then the rest.
    assert clips[2] == pytest.approx((clock.joined_starts[3], quiet), abs=0.01)
    assert clips[-1][1] == pytest.approx(clock.joined_starts[3] + 70.0)
    assert sum(b - a for a, b in clips[2:]) == pytest.approx(70.0)


REDACTION_CALL = Path(__file__).resolve().parent.parent / "fixtures" / "calls" / "redact_fresh2_003_8k_mulaw.wav"


def test_with_whisper_vad_off_the_speech_found_is_decoded_as_it_is(settings):
    """The redaction set's fresh2_003 at 8 kHz (``python -m fixtures.redaction --keep fresh2/redact_fresh2_003``).

    Issue 17: the customer's channel is speech from 3.2 to 9.9 s (a card named, then 16 digits read as
    pairs), and the activity detector found it; faster-whisper's own Silero VAD, run again over those
    regions, kept 0.9 s of them, so the card number was never written and could not be redacted. With
    ``whisper_vad`` off (not the default: see its setting) the regions are decoded as they are.
    """
    from audio_features.decode import decode_file
    from audio_features.transcription import transcribe

    audio = decode_file(REDACTION_CALL, max_duration_s=600)
    models = settings.models.model_copy(update={"whisper_vad": False})
    words = transcribe(audio.samples[1], models, regions=[(3.0, 10.2)], language="en").words
    digits = sum(c.isdigit() for w in words if 4.5 <= w.start <= 10.2 for c in w.text)
    assert digits >= 12, [w.text for w in words]


def test_heard_is_the_geometric_mean():
    assert heard([0.25, 1.0, 1.0]) == pytest.approx(0.25 ** (1 / 3))
    assert heard([]) == 1.0


CALLS = Path(__file__).resolve().parent.parent / "fixtures" / "calls"
CORPUS_CALL = CALLS / "corpus_tune_008_new_feeling_stereo_8k.flac"


def test_one_unsure_window_does_not_set_the_language_of_a_call(analyze):
    """The corpus's tune_008 new_feeling, stereo 8 kHz (kept by ``python -m fixtures.corpus --keep``).

    Issue 14: Whisper heard the first 30 s window of the agent's speech as Welsh (0.52, English 0.35), and
    the whole call was transcribed as "Mae 'n mynd i 'n mynd i ...": no feeling found, so the verdict was
    not_applicable where the agent had ignored a new fear. The customer's channel alone is English at 0.96.
    """
    report = analyze(CORPUS_CALL)
    assert report["call"]["language"] == "en"
    words = " ".join(t["text"] for t in report["turns"]).lower()
    assert "terrified" in words and "heating" in words


def test_a_sure_first_window_is_enough(settings):
    """A clear English window decides alone: one encoder pass, as Whisper's own detection."""
    from audio_features.decode import decode_file
    from audio_features.transcription import detect_language

    audio = decode_file(CORPUS_CALL, max_duration_s=600)
    language, probability = detect_language([audio.samples[1][: 16000 * 30]], settings)
    assert language == "en" and probability >= settings.language_sure_probability
