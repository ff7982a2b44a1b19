"""Audio storage behind a small interface: files under generated ids, never under user file names.

:class:`FileStorage` keeps each recording at ``<root>/<id[:2]>/<id>``. It works
when the API and the workers run on different machines that mount the same
volume (docker-compose shares a named volume): writes go to a temporary file
in the same directory and are renamed into place, so a reader never sees half
a file.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path
from typing import BinaryIO

__all__ = ["FileStorage", "TooLarge"]

CHUNK = 1 << 20


class TooLarge(Exception):
    """The stream exceeded the size cap; nothing was kept."""


class FileStorage:
    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        if not key.isalnum():
            raise ValueError(f"bad storage key {key!r}")
        return self.root / key[:2] / key

    def save(self, stream: BinaryIO, max_bytes: int) -> tuple[str, int]:
        """Copy ``stream`` in under a new id. Returns (id, size). Raises TooLarge past ``max_bytes``."""
        key = uuid.uuid4().hex
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                while block := stream.read(CHUNK):
                    size += len(block)
                    if size > max_bytes:
                        raise TooLarge(size)
                    out.write(block)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key, size

    def head(self, key: str, n: int = 64) -> bytes:
        with self.path(key).open("rb") as f:
            return f.read(n)

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)
