"""Reference labels of the real recorded calls in ``../shared/data/real``, and how a report is scored on them.

The calls and their labels are described in that folder's ``SOURCES.md``.
This module reads them into one shape, :class:`RealCall`, so that the
benchmark (:mod:`bench.real`) and the tests score every call the same way:

* **DER** (:func:`der`): pyannote.metrics' diarization error rate with a
  0.25 s collar, overlap scored, between the report's speaker segments and
  the reference turns. Reference segments whose text is only tags or
  fillers (``[noise]``, ``<unk>``, ``um``) are left out: the source's
  segmenter marked clicks and breaths as turns, and no detector should be
  asked to find those.
* **Speaker-attributed WER** (:func:`attributed_wer`): for each role, the
  role's reference words against the words the report gives that role,
  summed over roles and divided by the reference word count. A word given
  to the wrong party costs a deletion on one side and an insertion on the
  other, so the figure counts attribution and role errors as well as
  recognition errors. Both sides are normalised by :func:`normalize`
  (lower case, numbers spelled out, punctuation, tags and fillers
  dropped).

Which labels are human and which are machine-made differs per source; each
:class:`RealCall` says so in ``reference``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "FILLERS",
    "REAL_DATA",
    "RealCall",
    "agent_found",
    "attributed_wer",
    "der",
    "hypothesis_annotation",
    "normalize",
    "real_calls",
    "reference_annotation",
]

REAL_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "real"

#: Fillers dropped from both sides before WER: the human transcripts write them, Whisper mostly does not.
FILLERS = frozenset("um uh erm er ah hmm mm mhm".split())
_TAG = re.compile(r"\[[^\]]*\]|<[^>]*>")

_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve "
    "thirteen fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def _number(n: int) -> str:
    if n < 20:
        return _UNITS[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _UNITS[n % 10])
    return " ".join(_UNITS[int(d)] for d in str(n))  # long numbers digit by digit, as account numbers are read


def normalize(text: str, *, drop_fillers: bool = False) -> str:
    """Lower case, numbers spelled out, punctuation and tags dropped: the usual WER normalisation.

    With ``drop_fillers``, the words of :data:`FILLERS` go too.
    """
    text = _TAG.sub(" ", text.lower()).replace("mrs.", "mrs").replace("-", " ")
    text = re.sub(r"\d+", lambda m: f" {_number(int(m.group()))} ", text)
    text = re.sub(r"[^a-z' ]+", " ", text)
    words = text.split()
    if drop_fillers:
        words = [w for w in words if w not in FILLERS]
    return " ".join(words)


@dataclass(frozen=True)
class Turn:
    """A reference turn: role ``agent`` or ``customer``, times in s (None when the source gives none).

    ``text`` is None where the source marks speech without a transcript.
    """

    role: str
    start: float | None
    end: float | None
    text: str | None


@dataclass(frozen=True)
class RealCall:
    """One real call and its labels.

    Attributes:
        name: File stem, e.g. ``hvb_0002f70f7386445b``.
        kind: ``bank``, ``car_repair`` or ``sales``.
        stereo: The two-channel file, or None.
        mono: The one-channel file.
        agent_channel: ``left`` or ``right`` in ``stereo``, or None.
        turns: Reference turns (roles ``agent``/``customer``).
        timed: Whether the turns' times are a DER reference.
        has_text: Whether the turns' text is a WER reference.
        reference: What the labels are, in a few words.
    """

    name: str
    kind: str
    stereo: Path | None
    mono: Path
    agent_channel: str | None
    turns: tuple[Turn, ...]
    timed: bool
    has_text: bool
    reference: str

    @property
    def files(self) -> dict[str, Path]:
        """``{"stereo": path, "mono": path}``, without the modes this call lacks."""
        return {m: p for m, p in (("stereo", self.stereo), ("mono", self.mono)) if p is not None}


def _speech(text: str | None) -> bool:
    return text is None or bool(normalize(text, drop_fillers=True))


def _hvb(path: Path) -> RealCall:
    turns = []
    for line in path.read_text().splitlines():
        start, end, role, *text = line.split("\t")
        turns.append(Turn("agent" if role == "agent" else "customer", float(start), float(end), " ".join(text)))
    name = path.name.removesuffix(".txt")
    return RealCall(
        name=name,
        kind="bank",
        stereo=path.with_name(f"{name}.wav"),
        mono=path.with_name(f"{name}_mono.wav"),
        agent_channel="right",
        turns=tuple(turns),
        timed=True,
        has_text=True,
        reference="human transcript, platform segment times",
    )


def _rttm_turns(path: Path) -> tuple[Turn, ...]:
    turns = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if parts and parts[0] == "SPEAKER":
            start, duration, label = float(parts[3]), float(parts[4]), parts[7]
            role = "agent" if label == "agent" else "customer"
            turns.append(Turn(role, start, start + duration, None))
    return tuple(turns)


def _lca(path: Path) -> RealCall:
    name = path.name.removesuffix(".energy.rttm")
    return RealCall(
        name=name,
        kind="car_repair",
        stereo=path.with_name(f"{name}.wav"),
        mono=path.with_name(f"{name}_mono.wav"),
        agent_channel="left",
        turns=_rttm_turns(path),
        timed=True,
        has_text=False,
        reference="per-channel energy regions (over-include breaths and noise), no transcript",
    )


def _gcp(path: Path) -> RealCall:
    turns = []
    for line in path.read_text().splitlines():
        if line.startswith("#") or ":" not in line:
            continue
        role, text = line.split(":", 1)
        turns.append(Turn(role.strip(), None, None, text.strip()))
    return RealCall(
        name=path.stem,
        kind="sales",
        stereo=None,
        mono=path.with_suffix(".wav"),
        agent_channel=None,
        turns=tuple(turns),
        timed=False,
        has_text=True,
        reference="cloud recogniser's transcript split into turns by hand, no times",
    )


def _azsdk(path: Path) -> RealCall:
    turns = []
    for line in path.read_text().splitlines():
        start, end, label, text = line.split("\t", 3)
        # The source labels nearly everything spk0, the agent who dominates the call.
        turns.append(Turn("agent" if label == "spk0" else "customer", float(start), float(end), text))
    name = path.name.removesuffix(".machine.txt")
    return RealCall(
        name=name,
        kind="sales",
        stereo=None,
        mono=path.with_name(f"{name}.wav"),
        agent_channel=None,
        turns=tuple(turns),
        timed=True,
        has_text=True,
        reference="cloud recogniser's diarized transcript (machine labels, weak speaker split)",
    )


def real_calls(folder: Path = REAL_DATA) -> list[RealCall]:
    """Every call of ``folder`` with labels, bank calls first. Empty when the folder is absent."""
    if not folder.is_dir():
        return []
    calls = [_hvb(p) for p in sorted(folder.glob("hvb_*.txt")) if p.with_suffix(".rttm").exists()]
    calls += [_lca(p) for p in sorted(folder.glob("lca_*.energy.rttm"))]
    calls += [_gcp(p) for p in sorted(folder.glob("gcp_*.txt"))]
    calls += [_azsdk(p) for p in sorted(folder.glob("azsdk_*.machine.txt"))]
    return calls


def reference_annotation(call: RealCall):
    """The reference turns as a pyannote ``Annotation`` labelled by role; tag-only turns left out."""
    from pyannote.core import Annotation, Segment

    ann = Annotation(uri=call.name)
    for i, t in enumerate(call.turns):
        if t.start is not None and t.end > t.start and _speech(t.text):
            ann[Segment(t.start, t.end), i] = t.role
    return ann


def hypothesis_annotation(report: dict):
    """The report's speaker segments as an ``Annotation`` labelled by role."""
    from pyannote.core import Annotation, Segment

    ann = Annotation()
    for speaker in report["speakers"]:
        for k, (start, end) in enumerate(speaker["segments"]):
            ann[Segment(start, end), f"{speaker['source']}:{k}"] = speaker["role"]
    return ann


def der(call: RealCall, report: dict, *, collar: float = 0.25) -> float | None:
    """Diarization error rate of ``report`` on ``call`` (see the module docstring); None without timed labels."""
    if not call.timed:
        return None
    from pyannote.metrics.diarization import DiarizationErrorRate

    metric = DiarizationErrorRate(collar=collar, skip_overlap=False)
    return float(metric(reference_annotation(call), hypothesis_annotation(report)))


def role_text(turns, role: str) -> str:
    return normalize(" ".join(t.text for t in turns if t.role == role), drop_fillers=True)


def attributed_wer(call: RealCall, report: dict) -> float | None:
    """Speaker-attributed word error rate (see the module docstring); None without a transcript."""
    if not call.has_text:
        return None
    import jiwer

    errors = words = 0
    for role in ("agent", "customer"):
        ref = role_text(call.turns, role)
        hyp = normalize(" ".join(t["text"] for t in report["turns"] if t["speaker"] == role), drop_fillers=True)
        n = len(ref.split())
        words += n
        if not n or not hyp:
            errors += n or len(hyp.split())
            continue
        out = jiwer.process_words(ref, hyp)
        errors += out.substitutions + out.deletions + out.insertions
    return errors / max(words, 1)


def agent_found(call: RealCall, report: dict) -> bool | None:
    """Whether the report's agent is the reference agent.

    Stereo: the agent's channel. Mono with timed labels: the report's agent
    speech overlaps the reference agent's turns more than the customer's.
    Otherwise (text only): the agent's words are nearer the reference agent's
    words than the customer's (lower WER). None when nothing can tell.
    """
    agent = next((s for s in report["speakers"] if s["role"] == "agent"), None)
    if agent is None:
        return None
    if agent["source"].startswith("channel:"):
        return agent["source"] == f"channel:{call.agent_channel}"
    if call.timed:
        from pyannote.core import Segment, Timeline

        ref = reference_annotation(call)
        mine = Timeline([Segment(a, b) for a, b in agent["segments"]]).support()
        own = {r: ref.label_timeline(r).support() for r in ("agent", "customer")}
        shared = {r: float(mine.crop(own[r]).duration()) for r in own}
        return shared["agent"] > shared["customer"]
    import jiwer

    hyp = normalize(" ".join(t["text"] for t in report["turns"] if t["speaker"] == "agent"), drop_fillers=True)
    if not hyp:
        return None
    return jiwer.wer(role_text(call.turns, "agent"), hyp) < jiwer.wer(role_text(call.turns, "customer"), hyp)
