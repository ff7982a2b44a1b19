"""Errors that callscope reports to a user, each with a stable code and a fix.

Every refusal of an input names what is wrong and what to do about it. The
``code`` is stable and is what the HTTP API returns; ``exit_code`` is what the
CLI exits with, so that scripts can tell the cases apart without parsing text.
"""

from __future__ import annotations

__all__ = [
    "AudioError",
    "CallscopeError",
    "ConfigError",
    "EmptyFile",
    "FileNotFound",
    "ModelError",
    "NotAudio",
    "TooLong",
    "TruncatedAudio",
    "ZeroLengthAudio",
]


class CallscopeError(Exception):
    """Base class: a problem the user can fix, with a message that says how."""

    code = "error"
    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ConfigError(CallscopeError, ValueError):
    """A setting has a value that cannot be used."""

    code = "bad_setting"
    exit_code = 2


class ModelError(CallscopeError):
    """Model weights are missing or do not match their published hashes."""

    code = "model_unavailable"
    exit_code = 3


class AudioError(CallscopeError):
    """The input cannot be analysed as a call recording."""

    code = "bad_audio"
    exit_code = 10


class FileNotFound(AudioError):
    code = "file_not_found"
    exit_code = 11


class EmptyFile(AudioError):
    code = "empty_file"
    exit_code = 12


class NotAudio(AudioError):
    code = "not_audio"
    exit_code = 13


class ZeroLengthAudio(AudioError):
    code = "zero_length_audio"
    exit_code = 14


class TruncatedAudio(AudioError):
    code = "truncated_audio"
    exit_code = 15


class TooLong(AudioError):
    code = "audio_too_long"
    exit_code = 16


class BadTranscript(CallscopeError):
    """A --transcript file that is not a list of {speaker, start, end, text} turns."""

    code = "bad_transcript"
    exit_code = 17
