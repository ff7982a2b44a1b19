"""Numbers as callers say them and Whisper writes them, one digit string per word, and runs of such words
(:mod:`audio_features.sensitive` explains the definitions; its settings bound the runs).

A word says ``digits`` (written: "4556", "45-56", "4,556"), a ``unit`` ("zero", "oh", "nought", "one" ...
"nine"), a ``teen``, ``tens`` ("forty"; "forty five" is 45), ``tens-unit`` ("forty-five") or ``repeat``
("double", "triple" before a digit).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from audio_features.thresholds import RedactionSettings

__all__ = ["Run", "SpokenWord", "luhn_valid", "norm", "runs", "said_digits"]


class SpokenWord(Protocol):
    start: float
    end: float
    text: str


_UNITS = {"zero": "0", "oh": "0", "o": "0", "nought": "0", "naught": "0", "nil": "0"}
_UNITS |= {w: str(i) for i, w in enumerate("one two three four five six seven eight nine".split(), start=1)}
_TEENS = {w: str(i) for i, w in enumerate("ten eleven twelve thirteen fourteen fifteen sixteen".split(), start=10)}
_TEENS |= {"seventeen": "17", "eighteen": "18", "nineteen": "19"}
_TENS = {w: str(i * 10) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
_REPEAT = {"double": 2, "triple": 3}
#: Words that may sit inside a spoken number without ending it.
_FILLERS = frozenset(
    "and uh um er erm ah eh dash hyphen slash stroke space then is it's its okay ok yes yeah yep mhm mm "
    "uh-huh right sorry".split()
)


def norm(text: str) -> str:
    return text.strip().lower().strip(".,?!;:\"'()[]…")


#: A written number of at least this many digits, then one letter, gives its digits (a card number's group).
MIN_LETTERED_DIGITS = 4


def said_digits(text: str) -> tuple[str, str] | None:
    """(digits, kind) of a word that says a number: kind ``digits`` (written), ``lettered`` (written, with a
    letter for its last digit), ``unit``, ``teen``, ``tens``, ``repeat`` (double/triple) or ``tens-unit``
    (forty-five); None for any other word."""
    word = norm(text)
    if not word:
        return None
    plain = re.sub(r"[\s,.\-/]", "", word)
    if plain.isdigit():
        return plain, "digits"
    if len(plain) > MIN_LETTERED_DIGITS and plain[:-1].isdigit() and plain[-1].isalpha():
        # "43387590795614L.": a long number with a letter for its last digit misheard ("four oh"); its digits.
        return plain[:-1], "lettered"
    if word in _UNITS:
        return _UNITS[word], "unit"
    if word in _TEENS:
        return _TEENS[word], "teen"
    if word in _TENS:
        return _TENS[word], "tens"
    if word in _REPEAT:
        return "", "repeat"
    if "-" in word:
        parts = word.split("-")
        if len(parts) == 2 and parts[0] in _TENS and parts[1] in _UNITS and _UNITS[parts[1]] != "0":
            return _TENS[parts[0]][0] + _UNITS[parts[1]], "tens-unit"
        spelled = [said_digits(p) for p in parts]
        if all(s is not None and s[1] in ("unit", "digits") for s in spelled):
            return "".join(s[0] for s in spelled), "digits"
    return None


@dataclass
class Run:
    words: list[int]
    digits: str
    start: float
    end: float
    written: str  # the words' text, for shapes such as 123-45-6789


def runs(words: Sequence[SpokenWord], settings: RedactionSettings) -> list[Run]:
    runs: list[Run] = []
    current: Run | None = None
    fillers: list[int] = []
    repeat, last_kind = 1, ""
    for i, w in enumerate(words):
        said = said_digits(w.text)
        if said is None:
            if current is not None and norm(w.text) in _FILLERS and len(fillers) < settings.run_filler_words:
                fillers.append(i)
                continue
            if current is not None:
                runs.append(current)
            current, fillers, repeat, last_kind = None, [], 1, ""
            continue
        digits, kind = said
        if current is not None and w.start - current.end > settings.digit_gap_s:
            runs.append(current)
            current, fillers, repeat, last_kind = None, [], 1, ""
        if current is None:
            current = Run([], "", w.start, w.end, "")
        current.words += [*fillers, i]
        fillers = []
        if kind == "repeat":
            repeat = _REPEAT[norm(w.text)]
        else:
            if kind == "unit" and last_kind == "tens" and digits != "0":
                current.digits = current.digits[:-1]  # forty five: 45, not 405
            current.digits += digits * repeat
            repeat = 1
        last_kind = kind
        current.end, current.written = w.end, f"{current.written} {w.text.strip()}"
    if current is not None:
        runs.append(current)
    return [r for r in runs if r.digits]


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check that every payment card number passes (ISO/IEC 7812-1)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0
