"""Stages 5 to 7: measure the turns and the voices, find feelings and acknowledgements, judge the agent.

* **measure**: turn-taking and talk metrics from the parties' speech and words
  (:mod:`audio_features.turn_taking`, :mod:`audio_features.talk_metrics`); each turn's articulation
  and syllable rates (:mod:`audio_features.pace`); with audio, each party's tone timeline and
  arousal events (:mod:`audio_features.tone`, :mod:`audio_features.arousal`).
* **empathy**: the customer's feeling moments and the agent's acknowledgements
  (:mod:`audio_features.empathy`), when the customer said anything.
* **judge**: the verdicts, each from the measures above (:mod:`analysis.verdicts`).
"""

from __future__ import annotations

from analysis.names import Mode, VerdictName
from analysis.stages import Attribution, Empathy, Judgement, Measures, ModelInfo
from audio_features.config import ModelSettings, Settings
from audio_features.parties import Role
from audio_features.thresholds import EmpathySettings

__all__ = ["empathize", "judge", "measure"]


def measure(
    attribution: Attribution,
    mode: Mode,
    settings: Settings,
    *,
    language: str | None,
    sample_rate: int,
    duration_s: float,
) -> Measures:
    """Turn-taking, talk metrics and turn rates; tone and arousal where there are tracks (audio)."""
    from pyannote.core import Annotation, Segment

    from audio_features.arousal import find_arousal
    from audio_features.pace import articulation_rate_wpm, syllable_rate
    from audio_features.talk_metrics import talk_metrics
    from audio_features.tone import tone_timelines
    from audio_features.turn_taking import analyse_turn_taking

    activity = Annotation()
    segments = ((s.role, a, b) for s in attribution.speakers for a, b in s.segments if b > a)
    for track, (role, start, end) in enumerate(segments):
        activity[Segment(start, end), track] = role
    turns = attribution.turns
    taking = analyse_turn_taking(turns, activity, settings.turn_taking, own_transcripts=mode == Mode.STEREO)
    tone, arousal = {}, {}
    if attribution.tracks:
        words = {p: [w for t in turns if t.speaker == p for w in t.words] for p in attribution.tracks}
        tone = tone_timelines(
            attribution.tracks,
            taking.speech,
            words,
            sample_rate=sample_rate,
            duration_s=duration_s,
            resolution_s=settings.tone.tone_resolution_s,
            pace_window_s=settings.tone.tone_pace_window_s,
            baseline_fraction=settings.tone.tone_baseline_fraction,
        )
        arousal = {p: find_arousal(p, party_tone, words[p], settings.tone) for p, party_tone in tone.items()}
    return Measures(
        turn_taking=taking,
        talk=talk_metrics(taking, duration_s, settings.turn_taking),
        tone=tone,
        arousal=arousal,
        turn_rates=[(articulation_rate_wpm(t.words), syllable_rate(t.words, language)) for t in turns],
    )


def _sentence_model_info(models: ModelSettings, empathy: EmpathySettings, runtime: str) -> ModelInfo:
    from audio_features.model_store import sentence_model_path

    return ModelInfo(
        task="sentence_embedding",
        name="all-MiniLM-L6-v2" if not models.sentence_model else models.sentence_model,
        details={
            "path": sentence_model_path(models),
            "runtime": runtime,
            "feeling_margin": empathy.empathy_feeling_margin,
            "ack_margin": empathy.empathy_ack_margin,
        },
    )


def empathize(attribution: Attribution, measures: Measures, settings: Settings) -> Empathy:
    """Feeling moments (with the customer's raised voice as a cue) and acknowledgements; nothing when the
    customer said nothing."""
    if not any(t.speaker == Role.CUSTOMER for t in attribution.turns):
        return Empathy()
    from audio_features.acknowledgements import find_acknowledgements
    from audio_features.empathy import find_feelings
    from audio_features.sentence_model import load_empathy_model

    model = load_empathy_model(settings.models)
    upset = measures.arousal[Role.CUSTOMER].events if Role.CUSTOMER in measures.arousal else []
    feelings = find_feelings(attribution.turns, model, settings.empathy, upset)
    acknowledgements = find_acknowledgements(feelings, attribution.turns, model, settings.empathy)
    return Empathy(feelings, acknowledgements, _sentence_model_info(settings.models, settings.empathy, model.runtime))


def judge(measures: Measures, empathy: Empathy, duration_s: float, settings: Settings) -> Judgement:
    """The three verdicts; "stayed calm" only with audio (it rests on arousal)."""
    from analysis.verdicts import acknowledged_feelings, listened_without_interrupting, stayed_calm

    verdicts = {
        VerdictName.LISTENED: listened_without_interrupting(measures.turn_taking, measures.talk, duration_s, settings)
    }
    if measures.arousal:
        agent, customer = measures.arousal[Role.AGENT], measures.arousal.get(Role.CUSTOMER)
        talk_s = measures.talk.parties[Role.AGENT].talk_time_s
        verdicts[VerdictName.CALM] = stayed_calm(agent, customer, settings, talk_s)
    verdicts[VerdictName.ACKNOWLEDGED] = acknowledged_feelings(empathy.acknowledgements, settings)
    return Judgement(verdicts)
