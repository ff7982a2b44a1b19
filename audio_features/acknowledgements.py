"""Whether the agent acknowledged each feeling episode of the customer's (:mod:`audio_features.empathy`).

**Acknowledgement.** An agent sentence acknowledges a feeling when one of
its clauses (or the whole sentence) is nearer the acknowledging exemplars
(naming or validating the feeling or its cause, sorrow, understanding,
reflecting the situation back) than the non-acknowledging ones (procedural
apologies, requests for details, policy, solutions) by
``empathy_ack_margin``. Clause by clause, as feelings are, because the
recogniser joins with a comma what it splits elsewhere: "I can hear how
stressful that is, anyone would be, let me look into why it changed"
acknowledges in its first clause. An episode's acknowledgement is looked for
in the agent's next ``empathy_reply_turns`` substantive turns (at least
``MIN_REPLY_WORDS`` words) after each of its moments.

**Delay.** The credit of an acknowledgement is 1 when it starts within
``empathy_prompt_s`` of the end of the episode's first moment, falling
linearly to ``LATE_CREDIT`` at ``empathy_late_s`` and staying there:
acknowledging only after a long solution counts less.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from audio_features.empathy import FeelingEpisode, FeelingMoment, is_clear
from audio_features.parties import Role
from audio_features.sentence_model import EmpathyModel
from audio_features.sentences import Sentence, clauses, sentences
from audio_features.thresholds import EmpathySettings
from audio_features.turns import Turn

__all__ = ["LATE_CREDIT", "Acknowledgement", "find_acknowledgements"]

#: Agent turns shorter than this (words) are backchannels, not replies.
MIN_REPLY_WORDS = 3


#: Credit of an acknowledgement that comes at or after ``empathy_late_s``.
LATE_CREDIT = 0.7


@dataclass(frozen=True)
class Acknowledgement:
    """What the agent replied to one feeling episode.

    Attributes:
        episode: The feeling episode.
        acknowledged: Whether an agent sentence acknowledged it.
        reply: The acknowledging sentence, or else the agent's first reply
            sentence (None when the agent never replied).
        delay_s: From the end of the episode's first moment to the
            acknowledging sentence, s.
        credit: 0 when not acknowledged; 1 when prompt, down to ``LATE_CREDIT``.
        margin: Similarity to acknowledging minus non-acknowledging exemplars
            of the best reply clause.
        unclear: When not acknowledged, the first reply sentence that Whisper
            heard below ``empathy_min_asr_confidence`` (geometric-mean word
            probability): an acknowledgement may have been misheard there, so
            a person should listen before relying on the verdict. None when
            acknowledged, or when every reply sentence was heard clearly.
    """

    episode: FeelingEpisode
    acknowledged: bool
    reply: Sentence | None
    delay_s: float | None
    credit: float
    margin: float | None
    unclear: Sentence | None = None

    @property
    def scored(self) -> bool:
        """Whether the verdict counts this episode: clear, or acknowledged."""
        return self.episode.clear or self.acknowledged


def _credit(delay_s: float, settings: EmpathySettings) -> float:
    if delay_s <= settings.empathy_prompt_s:
        return 1.0
    span = max(settings.empathy_late_s - settings.empathy_prompt_s, 1e-9)
    return max(LATE_CREDIT, 1 - (1 - LATE_CREDIT) * (delay_s - settings.empathy_prompt_s) / span)


class _Replies:
    """The agent's sentences, each with its acknowledgement margin (best clause or whole sentence)."""

    def __init__(self, turns: list[Turn], model: EmpathyModel):
        self.turns = turns
        self.said = sentences(turns, Role.AGENT)
        parts, owner = [], []
        for i, s in enumerate(self.said):
            for part in dict.fromkeys([s.text, *clauses(s.text)]):
                parts.append(part)
                owner.append(i)
        margins = model.ack_margins(parts)
        self.margin = [-np.inf] * len(self.said)
        for i, m in zip(owner, margins, strict=True):
            self.margin[i] = max(self.margin[i], float(m))
        self.substantive = [
            i for i, t in enumerate(turns) if t.speaker == Role.AGENT and len(t.words) >= MIN_REPLY_WORDS
        ]

    def after(self, moment: FeelingMoment, settings: EmpathySettings) -> list[int]:
        """Indices of the agent's sentences in their next ``empathy_reply_turns`` turns after ``moment``."""
        window = [i for i in self.substantive if self.turns[i].start >= moment.start][: settings.empathy_reply_turns]
        # A reply may begin inside the customer's turn.
        return [k for k, s in enumerate(self.said) if s.turn in window and s.end > moment.end - 0.5]


def find_acknowledgements(
    moments: list[FeelingMoment], turns: list[Turn], model: EmpathyModel, settings: EmpathySettings
) -> list[Acknowledgement]:
    """Group ``moments`` into episodes and find, for each, the agent's acknowledgement or the reply that was not one.

    See the module docstring for episodes, acknowledgements and credit.
    """
    replies = _Replies(turns, model)
    out: list[Acknowledgement] = []
    group: list[FeelingMoment] = []
    acked: int | None = None  # the acknowledging sentence of the open episode
    seen: list[int] = []

    def close() -> None:
        if not group:
            return
        episode = FeelingEpisode(tuple(group), is_clear(group, settings))
        if acked is not None:
            reply = replies.said[acked]
            delay = max(0.0, reply.start - group[0].end)
            credit = _credit(delay, settings)
            out.append(Acknowledgement(episode, True, reply, delay, credit, replies.margin[acked]))
            return
        candidates = [replies.said[k] for k in seen]
        best = max(seen, key=lambda k: replies.margin[k], default=None)
        unclear = next((s for s in candidates if s.heard(s.text) < settings.empathy_min_asr_confidence), None)
        margin = None if best is None else replies.margin[best]
        out.append(Acknowledgement(episode, False, candidates[0] if candidates else None, None, 0.0, margin, unclear))

    for m in moments:
        if group:
            follows = m.start - group[-1].end <= settings.empathy_episode_gap_s
            heard = acked is not None and replies.said[acked].start < m.start
            # After being heard, a moment with a feeling word of its own is a new feeling, not a follow-up.
            if not follows or (heard and "lexicon" in m.cues):
                close()
                group, acked, seen = [], None, []
        group.append(m)
        for k in replies.after(m, settings):
            if k not in seen:
                seen.append(k)
        if acked is None:
            acked = next((k for k in seen if replies.margin[k] >= settings.empathy_ack_margin), None)
    close()
    return out
