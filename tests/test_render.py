"""Placing lines on a call's timeline (fixtures/render.py): labels that mark speech.

A synthesiser is stood in for by a function that returns known samples, so no
text-to-speech engine is needed; everything else is the generator's own code.
"""

from __future__ import annotations

import numpy as np

from fixtures.render import SAMPLE_RATE, Call, Line, Voice, events, render

TONE_S, PAUSE_S = 1.0, 0.8


def _phrase_pause_phrase(line: Line, voice: Voice, workdir) -> tuple[np.ndarray, int]:
    """A second of 'speech', a 0.8 s pause of digital silence (Festival's comma), and another second."""
    t = np.arange(int(TONE_S * SAMPLE_RATE)) / SAMPLE_RATE
    tone = (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    return np.concatenate([tone, np.zeros(int(PAUSE_S * SAMPLE_RATE), np.float32), tone]), SAMPLE_RATE


def _sounding(track: np.ndarray, start: float, end: float) -> float:
    """Seconds of ``track`` between ``start`` and ``end`` that are not silence (10 ms frames over -50 dBFS)."""
    x = track[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
    frames = x[: len(x) // 160 * 160].reshape(-1, 160)
    return float(np.sum(np.sqrt(np.mean(frames**2, axis=1)) > 10 ** (-50 / 20)) * 0.01)


def test_a_line_cut_off_in_a_pause_ends_on_its_last_sound_so_the_cut_in_overlaps_speech(tmp_path):
    """corpus9 (seed 19) tune_009 interrupting: the cut fell 0.13 s into a pause, which stayed in the line, so
    its label ran on over silence and the cut-in overlapped that much less of the customer's speech than
    labelled. Here the cut falls in a 0.8 s pause (Festival pauses that long at a comma): the label must end
    on the last sound, and the cut-in overlap 0.8 s of speech."""
    voice = Voice("test")
    call = Call(
        name="cut_in_a_pause",
        voices={"agent": voice, "customer": voice},
        lines=[
            Line("customer", "one, two", stop_after_frac=0.55),  # 0.55 of 2.8 s: 1.54 s, inside the pause
            Line("agent", "over you", start_before_end_s=0.8, event="interruption"),
        ],
    )
    tracks, labels = render(call, tmp_path, synth=_phrase_pause_phrase)
    customer, agent = labels
    assert customer["cut_off"]
    assert abs((customer["end"] - customer["start"]) - TONE_S) < 0.02  # the pause is gone
    overlap = _sounding(tracks[1], agent["start"], customer["end"])
    assert overlap > 0.75  # the customer's own speech under the cut-in, as labelled
    [cut] = [e for e in events(call, labels) if e["type"] == "interruption"]
    assert cut["successful"] and cut["at"] == agent["start"]


def test_a_line_cut_off_inside_a_sound_keeps_its_cut():
    """A cut inside speech stays where it was (the espeak fixture calls keep their labels)."""
    from fixtures.render import _cut

    x, _ = _phrase_pause_phrase(Line("customer", "x"), Voice("test"), None)
    assert len(_cut(x, 0.7)) == int(0.7 * SAMPLE_RATE)
    assert len(_cut(x, 2.5)) == int(2.5 * SAMPLE_RATE)
