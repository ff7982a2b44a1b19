"""Signal and speech measures of a call recording.

No web, queue or storage code lives here: each module takes arrays or the
previous stage's dataclasses and returns dataclasses. Heavy libraries (torch,
pyannote.audio, faster-whisper) are imported inside the modules that need
them, never by this package's ``__init__``.
"""

from audio_features.config import Settings, apply_offline_environment
from audio_features.errors import AudioError, CallscopeError, ConfigError, ModelError

__all__ = ["AudioError", "CallscopeError", "ConfigError", "ModelError", "Settings", "apply_offline_environment"]
