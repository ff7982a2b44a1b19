"""The measured sections of the call report: turn-taking metrics and events, verdicts, the tone timeline,
arousal events and feelings (the report as a whole, and its other parts: :mod:`analysis.report_model`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer
from pydantic.json_schema import SkipJsonSchema

from analysis.names import Result
from audio_features.parties import Role

__all__ = [
    "ArousalEvent",
    "Backchannel",
    "Evidence",
    "FeelingEpisode",
    "FeelingMoment",
    "Interruption",
    "Metrics",
    "Span",
    "ToneTimeline",
    "Verdict",
    "Verdicts",
]

Seconds = float


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Span(_Model):
    """A stretch of the call, s."""

    start: Seconds = Field(ge=0)
    end: Seconds = Field(ge=0)
    duration_s: Seconds = Field(ge=0)


class Monologue(_Model):
    """A party's longest stretch of talk without the other taking the floor, s."""

    duration_s: Seconds = Field(ge=0)
    start: Seconds | None = Field(ge=0)


class Overlaps(_Model):
    """A party's interruptions: how many, and the overlap they held, s."""

    count: int = Field(ge=0)
    duration_s: Seconds = Field(ge=0)


class Patience(_Model):
    """The gap when the agent takes the floor after the customer stops, s."""

    mean: Seconds | None
    median: Seconds | None


class Arousal(_Model):
    """One party's arousal over the call; definitions in audio_features/arousal.py."""

    events: int = Field(ge=0)
    aroused_s: Seconds = Field(ge=0)
    share_of_speech: float = Field(ge=0, le=1)
    peak_loudness_db: float | None
    peak_pitch_st: float | None
    peak_rate_pct: float | None


class TalkTimes(_Model):
    """Each party's speech, s."""

    agent: Seconds = Field(ge=0)
    customer: Seconds = Field(ge=0)


class Monologues(_Model):
    """Each party's longest monologue."""

    agent: Monologue
    customer: Monologue


class Counts(_Model):
    """A count per party."""

    agent: int = Field(ge=0)
    customer: int = Field(ge=0)


class OverlapsByParty(_Model):
    """Each party's interruptions of the other."""

    agent: Overlaps
    customer: Overlaps


class Metrics(_Model):
    """Turn-taking metrics; definitions in audio_features/talk_metrics.py and the README."""

    talk_time_s: TalkTimes
    talk_ratio: float | None = Field(ge=0, le=1, description="The agent's share of the talk time.")
    silence_s: Seconds = Field(ge=0)
    longest_silence: Span | None
    longest_monologue: Monologues
    turns: Counts
    turn_switches: int = Field(ge=0)
    switches_per_minute: float = Field(ge=0)
    interruptions: OverlapsByParty
    backchannels: Counts
    patience_s: Patience = Field(description="The gap when the agent takes the floor after the customer stops.")
    agent_arousal: Arousal | SkipJsonSchema[None] = None
    customer_arousal: Arousal | SkipJsonSchema[None] = None

    @model_serializer(mode="wrap")
    def _absent_arousal(self, handler):
        return {k: v for k, v in handler(self).items() if v is not None or not k.endswith("_arousal")}


class Evidence(_Model):
    """A moment a reviewer can jump to: who said what, when (s)."""

    start: Seconds = Field(ge=0)
    end: Seconds = Field(ge=0)
    speaker: Role
    text: str


class Interruption(_Model):
    """A substantive cut-in while the other party held the floor (definitions in the README)."""

    start: Seconds = Field(ge=0)
    end: Seconds = Field(ge=0)
    by: Role
    interrupted: Role
    overlap_s: Seconds = Field(ge=0)
    interrupted_words_after: int = Field(ge=0)
    successful: bool = Field(description="The interrupted party stopped within interruption_success_s.")
    evidence: list[Evidence] = Field(description="Both parties' words.")


class Backchannel(_Model):
    """A listener response that does not take the floor."""

    start: Seconds
    end: Seconds
    speaker: Role
    text: str = Field(description="Empty for an untranscribed 'mm'.")


class Verdict(_Model):
    """A judgement about the agent, with its reasons, evidence and the thresholds used."""

    result: Result
    score: float | None = Field(ge=0, le=1, description="Null when not applicable.")
    reasons: list[str] = Field(min_length=1)
    evidence: list[Evidence]
    thresholds: dict[str, Any] = Field(description="The policy used.")


class Verdicts(_Model):
    """Each verdict with its evidence; stayed_calm is absent for a transcript (it needs the audio)."""

    listened_without_interrupting: Verdict
    stayed_calm: Verdict | SkipJsonSchema[None] = None
    acknowledged_feelings: Verdict

    @model_serializer(mode="wrap")
    def _absent_calm(self, handler):
        return {k: v for k, v in handler(self).items() if v is not None}


class Baseline(_Model):
    """The party's median over the first part of their speech (tone_baseline_fraction)."""

    pitch_hz: float | None
    level_dbfs: float | None
    rate_wpm: int | None
    until_s: Seconds | None = Field(description="End of the part of the call that set the baseline, s.")


class PartyTone(_Model):
    """One party's series, one value per entry of t (null where unmeasured): pitch (Hz and semitones from
    the baseline), loudness (dB against the baseline), articulation rate (words per minute), speaking."""

    baseline: Baseline
    pitch_hz: list[float | None]
    pitch_st: list[float | None]
    loudness_db: list[float | None]
    rate_wpm: list[float | None]
    speaking: list[bool]


class ToneTimeline(_Model):
    """Per-party series at resolution_s; each series has one value per entry of t (bin centres, s).
    Definitions in audio_features/tone.py."""

    resolution_s: Seconds | None
    t: list[Seconds]
    parties: dict[Role, PartyTone]


class ArousalEvent(_Model):
    """A sustained stretch above the party's own baseline."""

    speaker: Role
    start: Seconds = Field(ge=0)
    end: Seconds = Field(ge=0)
    aroused_s: Seconds = Field(ge=0)
    loudness_db: float | None = Field(description="dB over the party's baseline.")
    pitch_st: float | None = Field(description="Semitones over the party's baseline.")
    rate_pct: float | None = Field(description="% over the party's baseline rate.")
    cues: list[Literal["loudness", "pitch", "rate"]]
    text: str


class Reply(_Model):
    """An agent sentence: the acknowledgement, or the reply that was not one."""

    start: Seconds = Field(ge=0)
    end: Seconds = Field(ge=0)
    text: str


Emotion = Literal[
    "frustration", "anger", "worry", "anxiety", "sadness", "disappointment", "embarrassment", "exhaustion"
]


class FeelingMoment(_Model):
    """A customer sentence that expresses a feeling."""

    start: Seconds = Field(ge=0)
    end: Seconds = Field(ge=0)
    text: str
    emotion: Emotion
    confidence: float = Field(ge=0, le=1)
    cues: list[Literal["semantic", "lexicon", "arousal"]]
    episode: int = Field(
        ge=0,
        description="Index into feeling_episodes of the episode this moment belongs to; acknowledged, reply, "
        "delay_s and credit are that episode's.",
    )
    acknowledged: bool
    reply: Reply | None = Field(description="The acknowledging sentence, else the agent's first reply.")
    delay_s: Seconds | None = Field(ge=0)
    credit: float = Field(ge=0, le=1)


class FeelingEpisode(_Model):
    """The customer's feeling moments about one trouble."""

    start: Seconds = Field(ge=0)
    end: Seconds = Field(ge=0)
    emotion: Emotion
    moments: list[Annotated[int, Field(ge=0)]] = Field(description="Indices into feeling_moments.")
    clear: bool = Field(description="Rests on more than one cue.")
    scored: bool = Field(description="Counted by the verdict: clear, or acknowledged.")
    acknowledged: bool
    reply: Reply | None
    delay_s: Seconds | None = Field(ge=0)
    credit: float = Field(ge=0, le=1)
