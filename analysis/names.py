"""The words the report, the store and the API share, each defined once as a ``str`` enum (as rq's ``JobStatus``).

Being ``str`` enums, they compare equal to their values and serialise as them, so
the JSON report and the database keep the plain strings they always had. The
parties' roles are :class:`audio_features.roles.Role` (the measures use them too)
and a call's status is :class:`store.db.CallStatus`.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Mode", "Result", "VerdictName"]


class Mode(StrEnum):
    """How the parties were separated: one per channel, diarized from one track, or given as turns."""

    STEREO = "stereo"
    MONO = "mono"
    TRANSCRIPT = "transcript"


class VerdictName(StrEnum):
    """The three judgements about the agent, in the order the report gives them."""

    LISTENED = "listened_without_interrupting"
    CALM = "stayed_calm"
    ACKNOWLEDGED = "acknowledged_feelings"


class Result(StrEnum):
    """A verdict's outcome."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"
