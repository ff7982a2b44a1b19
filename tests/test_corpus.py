"""The synthetic corpus generator (fixtures/corpus.py): its labels match its audio, and one call end to end.

Skipped when the synthesisers are not installed (``bash scripts/install_tts.sh``).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import numpy as np
import pytest

from audio_features.decode import decode_file
from fixtures.corpus import SCENARIOS, TOOLS, VOICES, _scenarios, build_call

pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS), reason="the corpus synthesisers are not installed"
)


def _build(tmp_path, name: str, split: str = "heldout", seed: int = 3):
    rng = np.random.default_rng(seed)
    scenario = next(s for s in _scenarios(rng) if s.name == name)
    labels = json.loads(build_call(scenario, split, 1, rng, tmp_path).read_text())
    return labels


def test_every_scenario_has_expected_verdicts_and_both_splits_have_voices():
    assert len(SCENARIOS) >= 10 and len(set(SCENARIOS)) == len(SCENARIOS)
    engines = {split: {v.engine for v in voices} for split, voices in VOICES.items()}
    assert engines["heldout"] >= {"espeak", "flite", "festival"} and "festival" not in engines["tune"]
    assert not {v.label for v in VOICES["tune"]} & {v.label for v in VOICES["heldout"]}


def test_labels_match_the_audio(tmp_path):
    labels = _build(tmp_path, "drawn_out_backchannel")
    turns = labels["turns"]
    customer = next(t for t in turns if t["speaker"] == "customer")
    backchannels = [e for e in labels["events"] if e["type"] == "backchannel"]
    assert len(backchannels) == 2
    for e in backchannels:
        assert customer["start"] < e["at"] < customer["end"]
    drawn = next(t for t in turns if t["text"] == "mm hmm")
    assert drawn["end"] - drawn["start"] > 1.0
    stereo = decode_file(tmp_path / f"{labels['name']}_stereo.wav", max_duration_s=600)
    mono = decode_file(tmp_path / f"{labels['name']}_mono_8k.wav", max_duration_s=600)
    assert stereo.channels == 2 and mono.channels == 1
    assert abs(stereo.duration_s - labels["duration_s"]) < 0.1
    # The agent's own channel is the louder one while the agent alone speaks.
    side = 0 if labels["agent_channel"] == "left" else 1
    first = turns[0]
    a, b = (int(first["start"] * 16000), int(first["end"] * 16000))
    own = np.sqrt(np.mean(stereo.samples[side, a:b] ** 2))
    other = np.sqrt(np.mean(stereo.samples[1 - side, a:b] ** 2))
    assert 20 * np.log10(own / other) > 6


def test_a_cut_in_is_labelled_with_the_line_it_cuts_off(tmp_path):
    labels = _build(tmp_path, "token_cut_in")
    [cut] = [e for e in labels["events"] if e["type"] == "interruption"]
    assert cut["by"] == "agent" and cut["interrupted"] == "customer" and cut["successful"]
    cut_off = next(t for t in labels["turns"] if t.get("cut_off"))
    assert cut_off["start"] < cut["at"] < cut_off["end"]


def test_a_raised_line_is_higher_and_faster_in_the_same_voice(tmp_path):
    """A raised line: F0 up about 3.4 semitones and 22 % shorter, with the voice's formants where they were.
    Resampling (the corpus before) moved the whole spectrum up by 22 % too, a smaller vocal tract: another
    speaker to a diarizer."""
    import parselmouth
    from parselmouth.praat import call

    from fixtures.render import Line
    from fixtures.synth import RAISED_SPEED, SynthVoice, speak

    voice = SynthVoice("espeak", "en-us+m3", pitch=40)
    line = Line("agent", "Look, I have already said I am checking it, you need to let me look at the account.")
    calm, rate = speak(line, voice, tmp_path)
    raised, _ = speak(line, replace(voice, raised=True), tmp_path)

    def measure(x):
        sound = parselmouth.Sound(x.astype(np.float64), sampling_frequency=rate)
        f0 = call(sound.to_pitch(), "Get quantile", 0, 0, 0.5, "Hertz")
        # Where the spectrum's power sits below 5 kHz (the formant region): a vocal tract's size moves it.
        power = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
        hz = np.fft.rfftfreq(x.size, 1 / rate)
        band = hz < 5000
        return f0, float((power[band] * hz[band]).sum() / power[band].sum()), sound.duration

    (f0, centroid, d), (rf0, raised_centroid, rd) = measure(calm), measure(raised)
    assert 12 * np.log2(rf0 / f0) == pytest.approx(12 * np.log2(RAISED_SPEED), abs=0.7)
    assert rd / d == pytest.approx(1 / RAISED_SPEED, abs=0.03)
    assert raised_centroid / centroid == pytest.approx(1.0, abs=0.08)  # resampled: 1.20


def test_a_raised_line_is_the_same_in_every_run(tmp_path):
    """Praat's PSOLA draws random numbers; unseeded, the same raised line differed from run to run (by up to
    0.3 of full scale), so the same seed did not give the same corpus."""
    from fixtures.render import Line
    from fixtures.synth import SynthVoice, speak

    voice = SynthVoice("espeak", "en-gb-scotland+m1", pitch=35, raised=True, rate=1.12)
    line = Line("agent", "Look, I've already said I'm checking it, you need to let me look at the account.")
    first, _ = speak(line, voice, tmp_path)
    again, _ = speak(line, voice, tmp_path)
    assert np.array_equal(first, again)


def test_a_draw_too_near_the_calm_bar_is_drawn_again(tmp_path):
    """heldout_026 token_cut_in: the first draw put the agent at 12.0 s, within 20 % of the 10 s bar, and the
    generator stopped there. A refused draw is drawn again from the same generator, so the calls before it
    stay the same, and the call that comes out is clear of the bar. With seed 1 the first draw (a fast agent)
    is refused; the test shows it, then builds the call."""
    from fixtures.corpus import CALM_LABEL_MARGIN, CalmLabelTooNear, _call, _check_calm_label, speak
    from fixtures.render import render

    scenario = next(s for s in _scenarios(np.random.default_rng(0)) if s.name == "token_cut_in")
    rng = np.random.default_rng(1)
    pool = VOICES["heldout"]
    pairs = [(a, c) for a in pool for c in pool if (a.engine, a.female) != (c.engine, c.female)]
    agent, customer = pairs[int(rng.integers(len(pairs)))]
    rates = {p: float(rng.uniform(0.75, 1.25)) for p in ("agent", "customer")}
    _, first = render(_call(scenario, {"agent": agent, "customer": customer}, rates, "first"), tmp_path, synth=speak)
    with pytest.raises(CalmLabelTooNear):
        _check_calm_label("first", scenario.expected["stayed_calm"], first)

    labels = json.loads(build_call(scenario, "heldout", 26, np.random.default_rng(1), tmp_path).read_text())
    agent_s = sum(t["end"] - t["start"] for t in labels["turns"] if t["speaker"] == "agent")
    assert agent_s >= 10 * (1 + CALM_LABEL_MARGIN)
    assert labels["voices"]["agent"]["rate"] != round(rates["agent"], 3)


@pytest.mark.models
def test_a_drawn_out_backchannel_in_a_voice_never_tuned_on_is_no_cut_in(tmp_path, analyze):
    """Class 1 of issue 14, end to end, in a held-out voice."""
    labels = _build(tmp_path, "drawn_out_backchannel", seed=5)
    report = analyze(tmp_path / f"{labels['name']}_stereo.wav")
    assert report["metrics"]["interruptions"]["agent"]["count"] == 0
    assert report["verdicts"]["listened_without_interrupting"]["result"] == "passed"


def test_a_calm_label_too_near_the_speech_bar_is_refused():
    """heldout_016 comma_no_ack: 11.1 s of agent lines at rate 1.13, labelled 'passed' beside a 10 s bar."""
    from fixtures.corpus import _check_calm_label

    def agent_speaks(seconds):
        return [{"speaker": "agent", "start": 0.0, "end": seconds}, {"speaker": "customer", "start": 0.0, "end": 30}]

    with pytest.raises(ValueError, match="too near calm_min_speech_s"):
        _check_calm_label("heldout_016", "passed", agent_speaks(11.07))
    with pytest.raises(ValueError, match="too near calm_min_speech_s"):
        _check_calm_label("brief", "not_applicable", agent_speaks(8.5))
    _check_calm_label("clear", "passed", agent_speaks(12.5))
    _check_calm_label("clear", "failed", agent_speaks(20.0))
    _check_calm_label("brief", "not_applicable", agent_speaks(6.0))
