"""Emails, UK postcodes and UK national insurance numbers, written or spelled over a few words
(:mod:`audio_features.sensitive` names what they find).

An address is written with ``@``, said as "name at domain dot com", or written by Whisper as
"name .domain .com" with the "at" lost: a domain ending in a top-level domain, and up to four name words
before it. A postcode or NI number is a few consecutive short words (letters, digits, digit words) whose
characters, joined, match the format; Whisper writes them spelled ("L S six, four J Q"), in groups
("QQ, 980303, C.") or whole ("QQ148454C"). A word of letters in lower case ("is", "it") is no part of one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from audio_features.spoken_numbers import SpokenWord, norm, said_digits
from audio_features.thresholds import RedactionSettings

__all__ = ["spelled"]

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_DOMAIN = re.compile(r"^[\w-]+(\.[\w-]+)*\.(com|co|uk|org|net|io|gov|edu|info|biz|me|us|ie)$")
_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")
_NINO = re.compile(r"^[A-Z]{2}[0-9]{6}[A-D]$")
#: The longest word taken into a spelled postcode or NI number: an NI number written whole ("QQ148454C").
_TOKEN_MAX = 9


def _email_part(text: str) -> str:
    """A word as part of a spoken address: lower case, "dot" as ".", a leading dot kept, a trailing one not."""
    word = text.strip().lower().rstrip(",?!;:")
    word = word.rstrip(".") if len(word) > 1 else word
    return "." if word == "dot" else word


#: Words that end the name part of a spoken address, going back from "at".
_NOT_NAME = frozenset("is it's its it my email address e-mail me on yes that's thats at the".split())


def _spoken_email(
    words: Sequence[SpokenWord], i: int, settings: RedactionSettings
) -> tuple[str, float, float, tuple[int, ...]] | None:
    """An address said from word ``i`` on: ``i`` is "at", or starts a run of dotted words; None otherwise."""
    n = len(words)
    first = _email_part(words[i].text)
    if first == "at":
        if i == 0:
            return None
        start, j = i + 1, i + 1
    elif first.startswith(".") and len(first) > 1:
        start, j = i, i
    else:
        return None
    parts: list[str] = []
    end = None
    while j < n and j - start < settings.spelled_max_words:
        parts.append(_email_part(words[j].text))
        j += 1
        domain = re.sub(r"\.+", ".", "".join(parts)).strip(".")
        if _DOMAIN.match(domain) and (first == "at" or sum(p.startswith(".") for p in parts) >= 2):
            end = j  # the longest domain: "mail .co .uk", not "mail .co"
    if end is None:
        return None
    begin = i
    while begin > 0 and i - begin < 4 and norm(words[begin - 1].text) not in _NOT_NAME:
        if said_digits(words[begin - 1].text) is not None:
            break
        begin -= 1
    return ("EMAIL", words[begin].start, words[end - 1].end, tuple(range(begin, end)))


def spelled(
    words: Sequence[SpokenWord], settings: RedactionSettings
) -> list[tuple[str, float, float, tuple[int, ...]]]:
    """(kind, start, end, word indices) of each email, postcode and NI number among ``words``."""
    found: list[tuple[str, float, float, tuple[int, ...]]] = []
    taken: set[int] = set()
    n = len(words)
    for i in range(n):
        if i in taken:
            continue
        text = words[i].text.strip()
        if _EMAIL.search(text):
            found.append(("EMAIL", words[i].start, words[i].end, (i,)))
            taken.add(i)
            continue
        # "john dot smith at example dot com", or Whisper's "john .smith at example .com" and "john .smith
        # .example .com" (the "at" lost): a domain ending in a top-level domain, and the name before it.
        email = _spoken_email(words, i, settings)
        if email is not None:
            found.append(email)
            taken.update(email[3])
            continue
        # Postcodes and NI numbers: a few consecutive short words whose letters and digits, joined, match.
        chunks = []
        for j in range(i, min(n, i + settings.spelled_max_words)):
            said = said_digits(words[j].text)
            token = said[0] if said and said[1] in ("unit", "digits") else re.sub(r"[^A-Za-z0-9]", "", words[j].text)
            if not token or len(token) > _TOKEN_MAX or (token.isalpha() and len(token) > 1 and not token.isupper()):
                # Letters are spelled one at a time ("L S six") or written in capitals ("SW1A", "QQ"): a word
                # in lower case is a word ("is 4T2, it", Whisper's "forty-two", read as IS4 T2I).
                break
            chunks.append(token.upper())
            joined = "".join(chunks)
            if len(joined) < 5 or not joined[0].isalpha():
                continue
            entity = "POSTCODE" if _POSTCODE.match(joined) else "NINO" if _NINO.match(joined) else None
            if entity is not None and any(c.isdigit() for c in joined):
                span = tuple(range(i, j + 1))
                found.append((entity, words[i].start, words[j].end, span))
                taken.update(span)
                break
    return found
