"""Audio storage behind a small interface: files under generated ids, never under user file names.

:class:`FileStorage` keeps each recording at ``<root>/<id[:2]>/<id>``: writes go to a temporary file
in the same directory and are renamed into place, so a reader never sees half a file. The API writes
there; workers read through :func:`audio_source`:

* on the API's host (``callscope serve``), or with the data directory mounted: the file itself;
* on another host, with no shared disk: ``CALLSCOPE_API_URL`` set, the worker fetches each recording
  from the API (``GET /v1/worker/audio/<call id>``, authorised by the shared
  ``CALLSCOPE_WORKER_TOKEN``) into a temporary file that is removed after the analysis
  (:class:`ApiAudio`).

With ``CALLSCOPE_STORAGE_URL=s3://bucket/prefix`` the recordings live in an S3-compatible object
store instead (:class:`S3Storage`, boto3): the API and every worker read and write it directly, so
no host needs the data directory or the API for audio. Credentials, region and endpoint come from
boto3's usual sources (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``,
``AWS_ENDPOINT_URL`` for MinIO, Ceph, SeaweedFS or ``rclone serve s3``, or a profile).
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

__all__ = ["ApiAudio", "FileStorage", "S3Storage", "TooLarge", "audio_source", "open_storage", "worker_token_ok"]

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
        tmp, size = _spool(stream, max_bytes, dir=target.parent)
        try:
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key, size

    def head(self, key: str, n: int = 64) -> bytes:
        with self.path(key).open("rb") as f:
            return f.read(n)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)


def _spool(stream: BinaryIO, max_bytes: int, dir: Path | None = None) -> tuple[str, int]:
    """Copy ``stream`` to a temporary file; (path, size). Raises TooLarge past ``max_bytes`` (file removed)."""
    fd, tmp = tempfile.mkstemp(dir=dir, prefix=".upload-")
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while block := stream.read(CHUNK):
                size += len(block)
                if size > max_bytes:
                    raise TooLarge(size)
                out.write(block)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp, size


class S3Storage:
    """Recordings as objects ``<prefix>/<id[:2]>/<id>`` in an S3 bucket (``s3://bucket/prefix``).

    An upload is spooled to a local temporary file first (so the size cap holds before anything is
    sent) and then put as one object, multipart for large files: a reader never sees half an object.
    Playback range requests are passed through to the store.
    """

    def __init__(self, url: str, client=None):
        bucket, prefix = parse_s3_url(url)
        self.url, self.bucket, self.prefix = url, bucket, prefix
        if client is None:
            import boto3
            from botocore.config import Config

            # Checksums only where S3 requires them: stores other than AWS (and AWS itself on a ranged
            # read) may return the whole object's checksum with part of it, which botocore would reject.
            config = Config(request_checksum_calculation="when_required", response_checksum_validation="when_required")
            client = boto3.client("s3", config=config)
        self.client = client

    def object_key(self, key: str) -> str:
        if not key.isalnum():
            raise ValueError(f"bad storage key {key!r}")
        return "/".join(p for p in (self.prefix, key[:2], key) if p)

    def save(self, stream: BinaryIO, max_bytes: int) -> tuple[str, int]:
        key = uuid.uuid4().hex
        tmp, size = _spool(stream, max_bytes)
        try:
            self.client.upload_file(tmp, self.bucket, self.object_key(key))
        finally:
            Path(tmp).unlink(missing_ok=True)
        return key, size

    def head(self, key: str, n: int = 64) -> bytes:
        if n <= 0:
            return b""
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key), Range=f"bytes=0-{n - 1}")
        except self.client.exceptions.ClientError as exc:
            if _status(exc) == 416:  # an empty object has no byte 0
                return b""
            raise
        return obj["Body"].read()

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except self.client.exceptions.ClientError as exc:
            if _status(exc) == 404:
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    @contextlib.contextmanager
    def local(self, call_id: str, key: str) -> Iterator[Path]:
        fd, tmp = tempfile.mkstemp(prefix="callscope-audio-")
        os.close(fd)
        try:
            self.client.download_file(self.bucket, self.object_key(key), tmp)
            yield Path(tmp)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def get_range(self, key: str, byte_range: str | None = None) -> dict | None:
        """The object, or the part of it an HTTP ``Range`` value names, as boto3's ``get_object`` gives it
        (``Body``, ``ContentLength``, ``ContentRange``); None when the range is not satisfiable."""
        extra = {"Range": byte_range} if byte_range else {}
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.object_key(key), **extra)
        except self.client.exceptions.ClientError as exc:
            if _status(exc) != 416:
                raise
            return None


def _status(exc) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` as (bucket, prefix without slashes at its ends)."""
    from audio_features.errors import ConfigError

    rest = url.removeprefix("s3://")
    bucket, _, prefix = rest.partition("/")
    if not url.startswith("s3://") or not bucket:
        raise ConfigError(f"CALLSCOPE_STORAGE_URL={url!r}: expected s3://bucket or s3://bucket/prefix, or unset")
    return bucket, prefix.strip("/")


def open_storage(settings) -> FileStorage | S3Storage:
    """Where the API keeps recordings: the S3 bucket of ``CALLSCOPE_STORAGE_URL``, or the data directory."""
    if settings.storage_url:
        return S3Storage(settings.storage_url)
    return FileStorage(settings.audio_dir)


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

    def put_redacted(self, call_id: str, path: Path, keep_original: bool) -> None:
        """Hand the API a call's redacted recording; it stores it in place of the original
        (``POST /v1/worker/audio/<id>/redacted``, :func:`store.redacted.swap_audio`)."""
        import requests

        with open(path, "rb") as f:
            r = requests.post(
                f"{self.api_url}/v1/worker/audio/{call_id}/redacted",
                params={"keep_original": "1" if keep_original else "0"},
                headers={"Authorization": f"Bearer {self.token}", "Content-Type": "audio/flac"},
                data=f,
                timeout=self.TIMEOUT_S,
            )
        r.raise_for_status()


def audio_source(settings) -> FileStorage | S3Storage | ApiAudio:
    """Where a worker reads recordings: the object store, the API (``CALLSCOPE_API_URL``) or the data directory."""
    if settings.storage_url:
        return S3Storage(settings.storage_url)
    if settings.api_url:
        return ApiAudio(settings.api_url, settings.worker_token)
    return FileStorage(settings.audio_dir)


def worker_token_ok(expected: str, header: str | None) -> bool:
    """Whether an ``Authorization`` header carries the worker token (constant-time; never with no token set)."""
    if not expected or not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header.removeprefix("Bearer ").encode(), expected.encode())
