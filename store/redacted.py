"""A call's redacted recording in place of the original: the one step that both a worker (with the data
directory or the object store) and the API (for a worker without either) take.

The redacted copy is stored under a new key and the call's ``audio_key`` moves to it in one transaction;
the original is then deleted, unless ``keep_original`` (``CALLSCOPE_REDACT_KEEP_ORIGINAL=1``) keeps it,
under ``original_audio_key``, which no route serves.
"""

from __future__ import annotations

from typing import BinaryIO

from store.db import Call, Database

__all__ = ["swap_audio"]


def swap_audio(
    db: Database, storage, call_id: str, redacted: BinaryIO, keep_original: bool, max_bytes: int
) -> str | None:
    """Store ``redacted`` (a FLAC stream) as the call's recording; the new key (None when the call was deleted
    meanwhile)."""
    key, _ = storage.save(redacted, max_bytes=max_bytes)
    with db.session.begin() as s:
        call = s.get(Call, call_id)
        if call is None:
            old = key
        else:
            old, call.audio_key = call.audio_key, key
            if keep_original:
                call.original_audio_key, old = old, None
    if old:
        storage.delete(old)
    return None if call is None else key
