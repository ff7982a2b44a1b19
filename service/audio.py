"""Recordings sent to the browser or a worker, from either store (:mod:`store.storage`).

A file in the data directory goes out with Flask's ``send_file`` (range requests answered by it);
an object in an S3-compatible store is streamed through the API, with a ``Range`` header passed to
the store and its 206 passed back, so playback can seek without the API holding the file.
"""

from __future__ import annotations

from flask import Response, request, send_file
from werkzeug.http import quote_header_value

from store.storage import CHUNK, FileStorage, S3Storage

__all__ = ["send_recording"]


def send_recording(
    storage: FileStorage | S3Storage,
    key: str,
    mimetype: str,
    download_name: str | None = None,
    conditional: bool = True,
) -> Response:
    """A response with the recording under ``key`` (range requests answered when ``conditional``)."""
    if isinstance(storage, FileStorage):
        return send_file(storage.path(key), mimetype=mimetype, conditional=conditional, download_name=download_name)
    obj = storage.get_range(key, request.headers.get("Range") if conditional else None)
    if obj is None:
        return Response(status=416, headers={"Accept-Ranges": "bytes"})
    headers = {"Content-Length": str(obj["ContentLength"]), "Accept-Ranges": "bytes"}
    if obj.get("ContentRange"):
        headers["Content-Range"] = obj["ContentRange"]
    if download_name:
        headers["Content-Disposition"] = f"inline; filename={quote_header_value(download_name)}"
    return Response(
        obj["Body"].iter_chunks(CHUNK),
        status=206 if obj.get("ContentRange") else 200,
        mimetype=mimetype,
        headers=headers,
        direct_passthrough=True,
    )
