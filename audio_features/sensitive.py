"""Sensitive data in a transcript with word times: payment cards and their codes, bank details, national ids,
phone numbers, email addresses and postcodes (PCI DSS 3.3.1 and 3.4; GDPR art. 5).

Callers read numbers out in many ways, and Whisper writes them in as many: "4556 7375", "four five five six",
"double four", "oh", "forty-five", "4, 5, 5, 6", split across pauses, across its 30 s windows and across
the turns of a call. So numbers are found on **digits**, not on text:

1. Each word gives the digits it says: written digits (separators dropped), digit words (``zero``, ``oh``,
   ``nought`` ... ``nine``), teens, tens (``forty`` and ``forty-five``; ``forty`` ``five`` is one number),
   and ``double``/``triple`` before a digit.
2. A **run** is a stretch of such words, over both parties' words in time order, where the next number
   word starts within ``digit_gap_s`` of the last, with at most ``run_filler_words`` words between that
   carry no information (``and``, ``uh``, ``dash``, ``slash``, a listener's ``okay`` ...).
3. Runs next to each other (``card_group_gap_s``, no cue word of another kind between) whose digits add up
   to a card number's length (13-19; 12 after a card cue, one digit lost) are one **card number**. A run of
   12 or more digits is a card number on its own. But after a cue of another kind, a first run with that
   kind's count of digits is that kind (step 4), unless the digits grouped with it pass the Luhn check:
   an account number and a sort code said back to back, or a phone number with a time after it, are no
   card. The report flags a card number that fails the Luhn check,
   but it is redacted either way.
4. Other runs are named by the cue word most recently said before them (within ``cue_window_s``): "expiry",
   "security code", "sort code", "account", "social security", "phone", "zip"; and, after a card number
   (within ``card_followup_s``), a 3-digit run is its security code and a 4-digit one that reads as a month
   (01-12) its expiry date. After a card cue, and not within ``card_followup_s`` after a whole card number,
   runs grouped as in 3 with too few digits for a card, but at least ``card_part_min_digits``, are a part
   of one, misheard words between them included; after a whole card, a run of that many digits that is not
   its code or expiry date is one too. Each is redacted as a card number that fails the Luhn check.
   Without a cue, a run is named by its shape only where that is
   unambiguous: 10-11 digits a phone number, 8 an account number, 9 written as ``123-45-6789`` a US social
   security number. "Three days", "two hundred pounds", "twenty minutes" are never redacted: their runs
   are too short and have no cue.
5. Email addresses (written with ``@``, or said as "name at domain dot com"), UK postcodes and UK national
   insurance numbers (written, or spelled a letter or digit at a time) are found on the text of up to
   ``spelled_max_words`` consecutive words.

Nothing here needs a model or a network: see the note in :mod:`analysis.redact` on why no NLP library is
used. The spans found are what :mod:`analysis.redact` takes out of the report and the stored recording.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from audio_features.spelled import spelled
from audio_features.spoken_numbers import Run, SpokenWord, luhn_valid, norm, runs
from audio_features.thresholds import RedactionSettings

__all__ = ["Entity", "Finding", "asks_for_card", "find_sensitive", "luhn_valid"]


class Entity(StrEnum):
    """What a redacted span was; the report shows it as ``[CARD]``, ``[CVV]`` and so on."""

    CARD = "CARD"
    CVV = "CVV"
    EXPIRY = "EXPIRY"
    SORT_CODE = "SORT_CODE"
    ACCOUNT = "ACCOUNT"
    SSN = "SSN"
    NINO = "NINO"
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    POSTCODE = "POSTCODE"


@dataclass(frozen=True)
class Finding:
    """One sensitive span: its kind, its time (s) and the indices of its words in the list given.
    ``luhn_valid`` is set for card numbers only (a run that fails it is redacted too); ``part`` marks a card
    number with too few digits for one, taken as a part of one after a card cue."""

    entity: Entity
    start: float
    end: float
    words: tuple[int, ...]
    luhn_valid: bool | None = None
    part: bool = False


_MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
#: Cue words, by the entity they name (matched on the lower-case text before a run).
_CUES: tuple[tuple[Entity, re.Pattern[str]], ...] = (
    (
        Entity.CVV,
        re.compile(r"(?<!social )security (code|number)|\bcv[vc2]\b|three digits|last three|back of (the|your) card"),
    ),
    (Entity.EXPIRY, re.compile(r"expir|valid (until|to|thru|through)|end date|\bexp\b|\bruns? out\b")),
    (Entity.SORT_CODE, re.compile(r"sort ?code|routing number")),
    # Not the account a preposition names: "a phone number for the account", "the email on the account".
    (Entity.ACCOUNT, re.compile(r"account (number|no)|(?<!for the )(?<!on the )(?<!on your )\baccount\b")),
    (Entity.SSN, re.compile(r"social security|\bssn\b")),
    (Entity.PHONE, re.compile(r"phone|mobile|landline|cell|call (me|you) (back )?on|reach me|contact number")),
    (Entity.POSTCODE, re.compile(r"\bzip\b|post ?code")),
    (Entity.CARD, re.compile(r"card number|long number|\bcards?\b|(?<!direct )debit|credit")),
)
_CARD_CUE = dict(_CUES)[Entity.CARD]
#: Each cue's digit counts.
_CUE_DIGITS = {
    Entity.CVV: range(3, 5),
    Entity.EXPIRY: range(3, 7),
    Entity.SORT_CODE: range(6, 10),
    Entity.ACCOUNT: range(6, 13),
    Entity.SSN: range(9, 10),
    Entity.PHONE: range(7, 14),
    Entity.POSTCODE: (5, 9),
}
_SSN_WRITTEN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")


def _cue(words: Sequence[SpokenWord], before: int, start: float, settings: RedactionSettings) -> Entity | None:
    """The kind named by the latest cue said before word ``before``, within ``cue_window_s`` of ``start``."""
    text = " ".join(norm(w.text) for w in words[max(0, before - 30) : before] if start - w.end <= settings.cue_window_s)
    best, where = None, -1
    for entity, pattern in _CUES:
        for m in pattern.finditer(text):
            if m.start() > where:
                best, where = entity, m.start()
    return best


def asks_for_card(text: str) -> bool:
    """Whether ``text`` (an agent's turn) names a payment card: the cue after which a card number is expected."""
    return _CARD_CUE.search(" ".join(norm(w) for w in text.split())) is not None


def _cue_between(words: Sequence[SpokenWord], a: Run, b: Run) -> bool:
    text = " ".join(norm(words[i].text) for i in range(a.words[-1] + 1, b.words[0]))
    return any(pattern.search(text) for entity, pattern in _CUES if entity != Entity.CARD)


def _cards(words: Sequence[SpokenWord], runs: list[Run], settings: RedactionSettings) -> tuple[list[Finding], set[int]]:
    """Card numbers: runs, or neighbouring runs, with a card number's count of digits (and runs too long for
    one, named by their cue); the indices of the runs they took."""
    found, used = [], set()
    i = 0
    while i < len(runs):
        cue = _cue(words, runs[i].words[0], runs[i].start, settings)
        cued = cue == Entity.CARD
        shortest = settings.card_min_digits - (1 if cued else 0)
        ends, total, digits, reach = [], 0, "", i
        for j in range(i, len(runs)):
            if j > i:
                gap_words = runs[j].words[0] - runs[j - 1].words[-1] - 1
                if (
                    runs[j].start - runs[j - 1].end > settings.card_group_gap_s
                    or gap_words > settings.card_group_words
                    # "... five five, and I've been trying for three days": a lone digit joins a card only
                    # close by (a misheard digit splits a group: "seven two, Nialo four, Nialo seven nine")
                    or (len(runs[j].digits) < 2 and gap_words > 2)
                    or _cue_between(words, runs[j - 1], runs[j])
                ):
                    break
            total, digits = total + len(runs[j].digits), digits + runs[j].digits
            if total > settings.card_max_digits:
                break
            reach = j
            if total >= shortest and len(runs[j].digits) >= 2:  # a card does not end on a lone digit
                ends.append((luhn_valid(digits), j))
        # The longest grouping that passes the Luhn check, else the longest.
        best = max(ends)[1] if ends else None
        kind = Entity.CARD
        if best is not None and _named_by_cue(cue, runs[i]) and not max(ends)[0]:
            # "Account number 41234567, short chord 204567" (the "sort code" cue misheard), "it's 077 ... 569,
            # but not 4 9": after a cue of another kind, a run with that kind's count of digits is that kind,
            # unless the digits grouped with it pass the Luhn check, as a card number read out does.
            best = None
        if best is None and len(runs[i].digits) > settings.card_max_digits:
            # A run too long for a card: a card and its expiry said in one breath, or the recogniser
            # repeating a digit ("1, 1, 1, ..."); after a cue of another kind ("my mobile is"), it is that.
            best, kind = i, cue if cue is not None else Entity.CARD
        if (
            best is None
            and cued
            and sum(len(r.digits) for r in runs[i : reach + 1]) >= settings.card_part_min_digits
            and not any(0 <= runs[i].start - f.end <= settings.card_followup_s for f in found if not f.part)
        ):
            # Too few digits for a card, after a card cue: the recogniser lost or misheard some ("it's 467, I'm
            # 2 free, I'm 1, 2, 8, 0, 0, 6, I'm 2" at 8 kHz). What it kept is a card number's, and so are the
            # misheard words between. Not just after a whole card number: that is its code or expiry date
            # ("And the security card?" "March 567.", for "code" and "five six seven").
            best, kind = reach, Entity.CARD
        if best is not None:
            group = runs[i : best + 1]
            digits = "".join(r.digits for r in group)
            indices = tuple(range(group[0].words[0], group[-1].words[-1] + 1))  # and the words between its runs
            part = kind == Entity.CARD and len(digits) < shortest
            luhn = (luhn_valid(digits[: settings.card_max_digits]) and not part) if kind == Entity.CARD else None
            found.append(Finding(kind, group[0].start, group[-1].end, indices, luhn, part))
            used.update(range(i, best + 1))
            i = best + 1
        else:
            i += 1
    return found, used


def _named_by_cue(cue: Entity | None, run: Run) -> bool:
    """Whether ``run`` has the count of digits of ``cue``'s kind, a kind other than a card."""
    return cue is not None and cue != Entity.CARD and len(run.digits) in _CUE_DIGITS[cue]


def _name_run(words: Sequence[SpokenWord], run: Run, after_card: bool, settings: RedactionSettings) -> Entity | None:
    n = len(run.digits)
    cue = _cue(words, run.words[0], run.start, settings)
    if _named_by_cue(cue, run):
        return cue
    if after_card and n in (3, 4):
        if n == 4 and 1 <= int(run.digits[:2]) <= 12:
            return Entity.EXPIRY
        return Entity.CVV if n == 3 else Entity.CVV if cue == Entity.CARD else Entity.EXPIRY
    if cue == Entity.CARD and n >= settings.card_part_min_digits:
        return Entity.CARD  # a part of a card number (settings.card_part_min_digits)
    if n in (10, 11):
        return Entity.PHONE
    if n == 9 and _SSN_WRITTEN.search(run.written):
        return Entity.SSN
    if n == 8 and cue is None:
        return Entity.ACCOUNT
    return None


def _month_expiries(words: Sequence[SpokenWord], runs: list[Run], cards: list[Finding], settings) -> list[Finding]:
    """ "March twenty twenty-seven", "expires June 27": a month word followed by a year's run."""
    found = []
    by_first = {r.words[0]: r for r in runs}
    for i, w in enumerate(words):
        if norm(w.text) not in _MONTHS or i + 1 not in by_first:
            continue
        run = by_first[i + 1]
        if len(run.digits) not in (2, 4):
            continue
        after_card = any(0 <= w.start - c.end <= settings.card_followup_s for c in cards)
        if after_card or _cue(words, i, w.start, settings) == Entity.EXPIRY:
            found.append(Finding(Entity.EXPIRY, w.start, run.end, (i, *run.words)))
    return found


def find_sensitive(words: Sequence[SpokenWord], settings: RedactionSettings) -> list[Finding]:
    """The sensitive spans among ``words`` (both parties' words, in time order), sorted by start."""
    found_runs = runs(words, settings)
    numbers, used = _cards(words, found_runs, settings)
    cards = [f for f in numbers if f.entity == Entity.CARD]
    found = list(numbers) + _month_expiries(words, found_runs, cards, settings)
    claimed = {i for f in found for i in f.words}
    for kind, start, end, indices in spelled(words, settings):  # letters and digits: more specific than a run
        if not claimed.intersection(indices):
            found.append(Finding(Entity(kind), start, end, indices))
            claimed.update(indices)
    for k, run in enumerate(found_runs):
        if k in used or claimed.intersection(run.words):
            continue
        after_card = any(0 <= run.start - c.end <= settings.card_followup_s for c in cards)
        entity = _name_run(words, run, after_card, settings)
        if entity is not None:
            part = entity == Entity.CARD  # a card number on its own is one of _cards'
            found.append(Finding(entity, run.start, run.end, tuple(run.words), False if part else None, part))
            claimed.update(run.words)
    wanted = set(settings.redact_entities)
    return sorted((f for f in found if f.entity.value in wanted), key=lambda f: (f.start, f.end))
