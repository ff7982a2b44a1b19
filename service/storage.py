"""Audio storage behind a small interface: files under generated ids, never under user file names.

:class:`FileStorage` keeps each recording at ``<root>/<id[:2]>/<id>``: writes go to a temporary file
in the same directory and are renamed into place, so a reader never sees half a file. The API writes
there; workers read through :func:`audio_source`:

* on the API's host (``callscope serve``), or with the data directory mounted: the file itself;
* on another host, with no shared disk: ``CALLSCOPE_API_URL`` set, the worker fetches each recording
  from the API (``GET /v1/worker/audio/<call id>``, authorised by the shared
  ``CALLSCOPE_WORKER_TOKEN``) into a temporary file that is removed after the analysis
  (:class:`ApiAudio`).
"""

from __future__ import annotations

import contextlib
import hmac
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["ApiAudio", "FileStorage", "TooLarge", "audio_source", "worker_token_ok"]

CHUNK = 1 << 20


class TooLarge(Exception):
    """The stream exceeded the size cap; nothing was kept."""


class FileStorage:
    def __init__(self, root: Path):
        self.root = Path(root)

    @contextlib.contextmanager
    def local(self, call_id: str, key: str) -> Iterator[Path]:
        """The recording as a local file, for the time of the ``with`` block."""
        yield self.path(key)

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


class ApiAudio:
    """Recordings fetched from the API by a worker with no access to its data directory."""

    #: Seconds to wait for the API to answer, and between bytes.
    TIMEOUT_S = (10, 120)

    def __init__(self, api_url: str, token: str, scratch: Path | None = None):
        if not token:
            raise ValueError("CALLSCOPE_API_URL is set but CALLSCOPE_WORKER_TOKEN is not: set the API's worker token")
        self.api_url, self.token = api_url.rstrip("/"), token
        self.scratch = scratch

    @contextlib.contextmanager
    def local(self, call_id: str, key: str) -> Iterator[Path]:
        import requests

        url = f"{self.api_url}/v1/worker/audio/{call_id}"
        with requests.get(
            url, headers={"Authorization": f"Bearer {self.token}"}, stream=True, timeout=self.TIMEOUT_S
        ) as r:
            r.raise_for_status()
            fd, tmp = tempfile.mkstemp(prefix="callscope-audio-", dir=self.scratch)
            try:
                with os.fdopen(fd, "wb") as out:
                    for block in r.iter_content(CHUNK):
                        out.write(block)
                yield Path(tmp)
            finally:
                Path(tmp).unlink(missing_ok=True)


def audio_source(settings) -> FileStorage | ApiAudio:
    """Where a worker reads recordings: the API (``CALLSCOPE_API_URL``) or the data directory."""
    if settings.api_url:
        return ApiAudio(settings.api_url, settings.worker_token)
    return FileStorage(settings.audio_dir)


def worker_token_ok(expected: str, header: str | None) -> bool:
    """Whether an ``Authorization`` header carries the worker token (constant-time; never with no token set)."""
    if not expected or not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header.removeprefix("Bearer ").encode(), expected.encode())
