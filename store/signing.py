"""Signed webhooks from telephony platforms: verify, fetch the recording, enqueue.

Two signatures are accepted on ``POST /v1/webhooks/recording``:

* **callscope's own** (JSON body ``{"recording_id", "recording_url", ...}``):
  ``X-Callscope-Timestamp: <unix seconds>`` and
  ``X-Callscope-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">``
  with the shared secret ``CALLSCOPE_WEBHOOK_SECRET``. A timestamp more than
  ``REPLAY_WINDOW_S`` from now is refused (a replay), as is a bad signature.
* **Twilio's** recording status callback (form body with ``RecordingSid`` and
  ``RecordingUrl``): ``X-Twilio-Signature`` is base64 HMAC-SHA1, keyed with
  ``CALLSCOPE_TWILIO_AUTH_TOKEN``, of the full request URL followed by every
  POST parameter name and value, sorted by name (Twilio's documented scheme).

A recording is analysed once: its id is the call's ``external_id`` under the
webhook's own API key, so a repeated delivery returns the existing call.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

__all__ = ["REPLAY_WINDOW_S", "sign", "twilio_signature", "verify", "verify_twilio"]

#: Signed requests older or newer than this are refused, s (Stripe and Slack use 5 minutes).
REPLAY_WINDOW_S = 300


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``X-Callscope-Signature`` value for a body sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float | None = None) -> str:
    """Check a callscope-signed request. Returns "" when valid, else the reason."""
    if not timestamp or not signature:
        return "missing X-Callscope-Timestamp or X-Callscope-Signature"
    try:
        sent = int(timestamp)
    except ValueError:
        return "X-Callscope-Timestamp must be unix seconds"
    if abs((now if now is not None else time.time()) - sent) > REPLAY_WINDOW_S:
        return f"the timestamp is more than {REPLAY_WINDOW_S} s away from now (a replayed or delayed request)"
    if not hmac.compare_digest(sign(secret, timestamp, body), signature):
        return "the signature does not match the body and the shared secret"
    return ""


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's X-Twilio-Signature for a POST to ``url`` with form ``params``."""
    payload = url + "".join(f"{k}{params[k]}" for k in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def verify_twilio(auth_token: str, signature: str | None, url: str, params: dict[str, str]) -> str:
    if not signature:
        return "missing X-Twilio-Signature"
    if not hmac.compare_digest(twilio_signature(auth_token, url, params), signature):
        return "the Twilio signature does not match"
    return ""
