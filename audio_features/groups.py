"""The base of every settings group: frozen, no unknown fields, each field documented where it is defined."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Group"]


class Group(BaseModel):
    """A group of settings; a field's docstring is its description (and the README's)."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True, validate_default=True)
