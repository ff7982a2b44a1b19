"""Is this upload audio? Decided from the first bytes, without decoding in the API process.

The API only sniffs the container signature (the API process never imports a
decoder: it must stay small and fast); the worker decodes the whole file and
fails the call with a specific reason (empty, truncated, too long, not audio)
when the signature lied.
"""

from __future__ import annotations

__all__ = ["audio_container"]


def audio_container(head: bytes) -> str | None:
    """The container named by the first bytes of a file, or None when it is not an audio format we read."""
    if len(head) >= 12 and head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:3] == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "mp4"
    if head[:4] == b".snd":
        return "au"
    return None
