"""The one reader of the environment, for the analysis settings and the service's alike.

Each field of a settings model is read from ``CALLSCOPE_<FIELD>`` (or from the name its
``validation_alias`` gives, such as ``DATABASE_URL``); an unset or empty variable keeps the field's
default. pydantic parses and validates every value, and a bad one is a :class:`ConfigError` (exit
code 2, ``bad_setting``) with a plain message that names the variable and what to enter, the way
rq validates its options: ``beam_size: please enter a value of 1 or more (CALLSCOPE_BEAM_SIZE)``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TypeVar

from pydantic import AliasChoices, TypeAdapter, ValidationError

from audio_features.errors import ConfigError

__all__ = [
    "PREFIX",
    "apply_offline_environment",
    "default_cpu_threads",
    "env_name",
    "read_environment",
    "validated",
]

PREFIX = "CALLSCOPE_"
M = TypeVar("M")
_KINDS = {"int_parsing": "a whole number", "float_parsing": "a number", "bool_parsing": "true or false"}


def default_cpu_threads() -> int:
    """The cores this process may run on (respects taskset and cgroup affinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def apply_offline_environment() -> None:
    """Keep every model load on this machine unless the user opts out.

    Sets ``HF_HUB_OFFLINE=1`` (opt out by exporting ``HF_HUB_OFFLINE=0``) and
    turns off pyannote's usage telemetry and onnxruntime's (its 1DS client
    resolves and posts to ``mobile.events.data.microsoft.com`` when an
    ``InferenceSession`` is created, as for Silero VAD; only the
    ``ORT_DISABLE_TELEMETRY`` variable, read before the library loads, stops
    it: ``onnxruntime.disable_telemetry_events()`` does not), so that no call
    data or metadata leaves the site. Call it first in every entry point.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")
    os.environ["ORT_DISABLE_TELEMETRY"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def _fields(model: type) -> dict:
    """A settings model's fields (a pydantic model or a pydantic dataclass)."""
    return model.__pydantic_fields__


def env_name(model: type, field: str) -> str:
    """The variable a field is read from: its alias's last choice (``DATABASE_URL``), else ``CALLSCOPE_<FIELD>``."""
    alias = _fields(model)[field].validation_alias
    if isinstance(alias, str):
        return alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[-1])
    return PREFIX + field.upper()


def _message(model: type, error: dict, raw: Mapping[str, object]) -> str:
    """A plain message for pydantic's first error about a settings field."""
    field = str(error["loc"][0]) if error["loc"] else ""
    variable = env_name(model, field) if field in _fields(model) else field
    kind, ctx = error["type"], error.get("ctx", {})
    if kind in _KINDS:
        return f"{variable}={raw.get(field)!r}: please enter {_KINDS[kind]}"
    if kind == "greater_than_equal":
        return f"{field}: please enter a value of {ctx['ge']:g} or more ({variable})"
    if kind == "greater_than":
        return f"{field}: please enter a value greater than {ctx['gt']:g} ({variable})"
    if kind == "less_than_equal":
        return f"{field}: please enter a value of {ctx['le']:g} or less ({variable})"
    if kind == "less_than":
        return f"{field}: please enter a value less than {ctx['lt']:g} ({variable})"
    if kind == "literal_error":
        return f"{field}: please enter {ctx['expected']} ({variable})"  # pydantic's "'a', 'b' or 'c'"
    if kind == "value_error":
        reason = str(ctx.get("error", error["msg"]))
        return reason if variable in reason else f"{field}: {reason} ({variable})"
    return f"{field}: {error['msg']} ({variable})"


def validated(model: type[M], values: Mapping[str, object]) -> M:
    """``model`` from ``values`` by field name (raw strings or typed), with pydantic's errors as a
    :class:`ConfigError`."""
    try:
        return TypeAdapter(model).validate_python(dict(values))
    except ValidationError as exc:
        raise ConfigError(_message(model, exc.errors()[0], values)) from None


def read_environment(
    model: type[M], environ: Mapping[str, str] | None = None, overrides: Mapping[str, object] | None = None
) -> M:
    """Build a settings model from the environment (``os.environ`` by default).

    Args:
        model: A pydantic settings model.
        environ: The variables to read, instead of the process's.
        overrides: Field values that win over the environment (command-line flags); None ones are ignored.

    Raises:
        ConfigError: a value that does not parse or is out of range.
    """
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for field in _fields(model):
        raw = env.get(env_name(model, field))
        if raw is not None and raw != "":
            values[field] = raw
    values.update({k: v for k, v in (overrides or {}).items() if k in _fields(model) and v is not None})
    return validated(model, values)
