"""The two parties of a call, as one ``str`` enum (it compares equal to, and serialises as, its value).

Its own module, with no imports, so that the API process can read reports without loading the measures.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Role"]


class Role(StrEnum):
    """A party of the call."""

    AGENT = "agent"
    CUSTOMER = "customer"
